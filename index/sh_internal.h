/* sh_internal.h — the sh_index handle shared by index/sh_*.c (not
 * installed; the public interface is semhash.h).
 *
 * A handle owns the idx_index, the parsed stored model (to make more
 * encoders), a pool of encoders (hasher copy + tokenizer) of at most
 * max_encoders, and a pool of parked read snapshots. Pools are guarded by
 * lock; writes by write_lock.
 */
#ifndef SH_INTERNAL_H
#define SH_INTERNAL_H

#include <pthread.h>

#include "hasher.h"
#include "idx_check.h"
#include "idx_docs.h"
#include "idx_search.h"
#include "modelfile.h"
#include "sh_error.h"
#include "signature.h"
#include "text_tokenize.h"
#include "text_vectorize.h"
#include "version.h"
#include "semhash.h"

/* A hasher copy with the scratch to encode: a tokenizer (signatures of
 * queries), a vectoriser over the hasher's vocabulary and the rows of the
 * batch being encoded (one tokenisation gives a text's signature and row). */
typedef struct sh_encoder {
    sh_hasher *h;
    text_tokenizer *tok;
    text_vectorizer *vec;
    sh_csr rows;              /* [batch x V] tf-idf rows, cleared per use */
    int have_rows;
    struct sh_encoder *next;
} sh_encoder;

/* A read snapshot with scratch space for one query at a time. */
typedef struct sh_reader {
    idx_reader *rd;
    idx_hit *hits;            /* [cap] */
    double *sim;              /* [cap] near-duplicate similarities */
    size_t cap;
    struct sh_reader *next;
} sh_reader;

struct sh_index {
    idx_index *ix;
    mf_model *model;          /* the stored model, parsed */
    size_t model_bytes;
    int bits;
    int nosync;               /* SH_OPEN_NOSYNC: sh_sync flushes */
    pthread_mutex_t lock;     /* the two pools */
    pthread_cond_t encoder_freed;
    sh_encoder *free_encoders;
    int n_encoders, max_encoders;
    sh_reader *free_readers;
    pthread_mutex_t write_lock;
    int bulk;                 /* a bulk load is active (sh_create_options.bulk_load);
                                 written under write_lock, read atomically */
};

/* SH_EINVAL with a message while a bulk load is active on the handle
 * (its lookup tables are built at sh_sync), else 0. */
int sh_check_searchable(sh_index *sh, char *err, size_t err_len);

/* Ends an active bulk load: builds the lookup tables. Call with
 * write_lock held. 0 without one; errors as idx_bulk_finish's. */
int sh_bulk_end_locked(sh_index *sh, char *err, size_t err_len);

/* A text's code, signature, token count and content hash. */
typedef struct {
    sh_code code;
    uint8_t sig[SIG_BYTES];
    uint64_t tokens;
    uint64_t digest;
} sh_encoded;

/* Takes an encoder from the pool (creating one, or waiting for one).
 * Returns 0 and *out, or SH_ENOMEM / hasher_read's errors. */
int sh_encoder_take(sh_index *sh, sh_encoder **out, char *err, size_t err_len);
void sh_encoder_give(sh_index *sh, sh_encoder *e);

/* Encodes text (code, signature, tokens, digest) with a pooled encoder.
 * SH_EINPUT for binary text, SH_ENOMEM. */
int sh_encode_full(sh_index *sh, const char *text, size_t len, sh_encoded *out, char *err,
                   size_t err_len);

/* On a SH_OPEN_NOSYNC handle, flushes every commit so far to disk (the
 * commits did not fsync); nothing otherwise. Call with write_lock held.
 * 0 or an errno / SH_EINDEX with the message in err. */
int sh_flush_nosync(sh_index *sh, char *err, size_t err_len);

/* A reader on the latest committed state. Returns 0 and *out, or
 * SH_ENOMEM / SH_EINDEX. */
int sh_reader_take(sh_index *sh, sh_reader **out, char *err, size_t err_len);
/* Ends the reader's transaction and returns it to the pool. */
void sh_reader_give(sh_index *sh, sh_reader *r);
/* Makes room for cap hits. SH_ENOMEM. */
int sh_reader_reserve(sh_reader *r, size_t cap);

#endif
