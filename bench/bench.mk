# bench/bench.mk — `make bench`; included by the top Makefile (variables
# BUILD, CC, ALL_CFLAGS, ALL_LDFLAGS, DEP_LIBS, LIB_A, PROGRAM, Q).
#
#   make bench            every part below, then BENCHMARKS.md
#   make bench-PART       one part: search index train quality blades
#   make bench-report     BENCHMARKS.md and bench/BENCHMARKS.json from
#                         whatever bench/results/ holds
#
#   BENCH_FULL=1          also the 10M-document scale (search), which needs
#                         more than 15 minutes and about 4 GB of disk
#   BENCH_PEERS=0         skip PyTorch, FAISS and scikit-learn (and do not
#                         install them)
#
# Each part is a script bench/PART.sh run as
#     sh bench/PART.sh SEMHASH_BIN BENCH_BIN_DIR RESULTS_DIR
# It writes RESULTS_DIR/PART.json (every figure, for scripts) and
# RESULTS_DIR/PART.md (its section of BENCHMARKS.md). The C programs of
# the benchmarks are bench/*.c, one program each, built into $(BUILD)/bench/
# (and by `make test`, so that they keep compiling with -Werror).

BENCH_DIR     := bench
BENCH_RESULTS := bench/results
BENCH_BUILD   := $(BUILD)/bench
BENCH_SRC     := $(sort $(wildcard $(BENCH_DIR)/*.c))
BENCH_PROGS   := $(BENCH_SRC:$(BENCH_DIR)/%.c=$(BENCH_BUILD)/%)
BENCH_PARTS   := search index train quality blades

.PHONY: bench bench-programs bench-deps bench-report $(BENCH_PARTS:%=bench-%)

bench-programs: $(BENCH_PROGS)

test check: $(BENCH_PROGS)

$(BENCH_BUILD)/%: $(BUILD)/bench/%.o $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(DEP_LIBS)

.SECONDARY: $(BENCH_SRC:$(BENCH_DIR)/%.c=$(BUILD)/bench/%.o)

bench-deps:
	$(Q)sh $(BENCH_DIR)/deps.sh

$(BENCH_PARTS:%=bench-%): bench-%: all bench-programs bench-deps corpora
	@mkdir -p $(BENCH_RESULTS)
	@echo "  BENCH   $*"
	$(Q)sh $(BENCH_DIR)/machine.sh > $(BENCH_RESULTS)/machine-$*.json
	$(Q)sh $(BENCH_DIR)/$*.sh $(abspath $(PROGRAM)) $(abspath $(BENCH_BUILD)) $(abspath $(BENCH_RESULTS))

bench-report:
	$(Q)python3 $(BENCH_DIR)/report.py $(BENCH_RESULTS) BENCHMARKS.md $(BENCH_DIR)/BENCHMARKS.json

# The parts one after another (never in parallel: they measure time).
bench: all bench-programs bench-deps corpora
	$(Q)for p in $(BENCH_PARTS); do \
	  $(MAKE) --no-print-directory bench-$$p || exit 1; done
	$(Q)$(MAKE) --no-print-directory bench-report

-include $(BENCH_SRC:$(BENCH_DIR)/%.c=$(BUILD)/bench/%.d)
