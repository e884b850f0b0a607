/* modelfile.h — the container format of semhash model files.
 *
 * A model file is a header, a list of tagged sections, and a checksum:
 *
 *   offset  size  field
 *   0       8     magic "SEMHASH\0"
 *   8       4     format version (MF_FORMAT_VERSION), little-endian u32
 *   12      4     model kind (MF_KIND_...), u32
 *   16      8     payload length in bytes (everything after this header
 *                 up to, not including, the checksum), u64
 *   24      ...   sections: tag u32 (four ASCII characters), length u64,
 *                 then `length` bytes, repeated
 *   end-8   8     xxh64 (seed 0) of bytes [0, end-8), u64
 *
 * All integers little-endian. Each module serialises its own sections
 * (network shapes and tensors, vocabulary, tokenizer settings, config
 * text); this module only frames, checks and finds them. The same bytes
 * serve a file on disk and a blob inside an LMDB index.
 *
 * Errors: a wrong magic is SH_EFORMAT, another version SH_EVERSION, a
 * length that does not match SH_ETRUNC, a checksum mismatch SH_ECHECKSUM,
 * all with a one-line message naming the file (or the blob's label).
 * Reading never crashes on hostile bytes.
 */
#ifndef SH_MODELFILE_H
#define SH_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

#define MF_FORMAT_VERSION 1u

/* Model kinds recorded in the header. Never renumber. */
enum {
    MF_KIND_AUTOENCODER = 1, /* a plain network from the nn core */
    MF_KIND_HASHER = 2,      /* a document hasher: text pipeline + encoder */
    MF_KIND_CLASSIFIER = 3,  /* one autoencoder per class + stacked softmax */
    MF_KIND_ANOMALY = 4,     /* autoencoder + learned threshold */
    MF_KIND_DEC = 5          /* autoencoder + cluster centroids */
};

/* Builds a four-character section tag, e.g. MF_TAG('N','E','T','0'). */
#define MF_TAG(a, b, c, d) \
    ((uint32_t)(uint8_t)(a) | ((uint32_t)(uint8_t)(b) << 8) | \
     ((uint32_t)(uint8_t)(c) << 16) | ((uint32_t)(uint8_t)(d) << 24))

/* ---- writing ---------------------------------------------------------- */

typedef struct mf_writer mf_writer;

/* Starts an in-memory model of the given kind. Returns 0 or SH_ENOMEM. */
int mf_writer_new(uint32_t kind, mf_writer **out);

/* Appends a section (the bytes are copied). Returns 0 or SH_ENOMEM. */
int mf_writer_add(mf_writer *w, uint32_t tag, const void *data, size_t len);

/* Helpers that append little-endian values to the section being built
 * with mf_writer_begin / mf_writer_end (for sections assembled piecewise).
 * begin opens a section; the put functions append to it; end closes it. Only
 * one section may be open at a time. Each returns 0 or SH_ENOMEM (or
 * SH_EINVAL when used without an open section). */
int mf_writer_begin(mf_writer *w, uint32_t tag);
int mf_put_u32(mf_writer *w, uint32_t v);
int mf_put_u64(mf_writer *w, uint64_t v);
int mf_put_f32(mf_writer *w, float v);
int mf_put_f64(mf_writer *w, double v);
int mf_put_bytes(mf_writer *w, const void *data, size_t len);
int mf_put_f32_array(mf_writer *w, const float *v, size_t n);
int mf_put_string(mf_writer *w, const char *s); /* u32 length + bytes, no NUL */
int mf_writer_end(mf_writer *w);

/* Finishes the model into a new malloc'd buffer (*out_buf, *out_len; free
 * with free()). The writer stays usable for mf_writer_free only.
 * Returns 0, SH_EINVAL (a section still open) or SH_ENOMEM. */
int mf_writer_finish(mf_writer *w, uint8_t **out_buf, size_t *out_len);

/* Finishes the model and writes it to path atomically (a temporary file in
 * the same directory, fsync, rename), so a crash never leaves half a model
 * under path. Returns 0, SH_EINVAL, SH_ENOMEM or an errno value, with
 * "PATH: ..." in err. Like finish, it ends the writer (only
 * mf_writer_free is left), unless it fails with SH_EINVAL. The file gets
 * the usual mode of a new file (0666 less the umask). */
int mf_writer_save(mf_writer *w, const char *path, char *err, size_t err_len);

/* Frees the writer. Accepts NULL. */
void mf_writer_free(mf_writer *w);

/* ---- reading ---------------------------------------------------------- */

typedef struct mf_model mf_model;

/* Reads and verifies a whole model file (magic, version, lengths,
 * checksum, section framing). Returns 0 and a model to free with
 * mf_model_free, or an error code (see above, or errno) with
 * "PATH: problem" in err and *out unchanged. */
int mf_read_file(const char *path, mf_model **out, char *err, size_t err_len);

/* The same for bytes in memory (copied; the caller keeps buf). label names
 * the blob in messages (e.g. "index model"). */
int mf_read_buffer(const void *buf, size_t len, const char *label,
                   mf_model **out, char *err, size_t err_len);

/* The kind from the header. */
uint32_t mf_model_kind(const mf_model *m);

/* The label given at reading (the path for files). Owned by the model. */
const char *mf_model_label(const mf_model *m);

/* Finds the first section with this tag. Returns 0 with *data (owned by
 * the model, valid until mf_model_free) and *len, or SH_ENOTFOUND. */
int mf_model_section(const mf_model *m, uint32_t tag, const void **data, size_t *len);

/* Frees the model. Accepts NULL. */
void mf_model_free(mf_model *m);

/* ---- parsing a section ------------------------------------------------ */

/* A bounds-checked cursor over a section's bytes. Every get function
 * returns 0, or SH_ETRUNC if the section ends first (cursor unchanged). */
typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
} mf_cursor;

void mf_cursor_init(mf_cursor *c, const void *data, size_t len);
int mf_get_u32(mf_cursor *c, uint32_t *v);
int mf_get_u64(mf_cursor *c, uint64_t *v);
int mf_get_f32(mf_cursor *c, float *v);
int mf_get_f64(mf_cursor *c, double *v);
int mf_get_bytes(mf_cursor *c, void *out, size_t len);
int mf_get_f32_array(mf_cursor *c, float *out, size_t n);
/* A string written by mf_put_string: *s points into the section (not
 * NUL-terminated), *len its length. */
int mf_get_string(mf_cursor *c, const char **s, size_t *len);
/* Bytes not yet read. */
size_t mf_cursor_left(const mf_cursor *c);

#endif
