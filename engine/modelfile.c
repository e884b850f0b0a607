/* modelfile.c — frames, checks and finds the sections of a model file.
 *
 * The layout is documented in modelfile.h. The writer builds the whole
 * file in one growing buffer (header placeholder, sections, then the
 * header is patched and the checksum appended at finish). The reader
 * copies the bytes, verifies them in the order magic, version, length,
 * checksum, framing, and keeps a small table of sections pointing into
 * its copy.
 *
 * Deliberately not here: what a section contains (each module owns its
 * own sections), compression, streaming of files larger than memory.
 */
#include "modelfile.h"
#include "sh_error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define MF_MAGIC "SEMHASH\0"
#define MF_HEADER_LEN 24u
#define MF_SECTION_HEADER_LEN 12u
#define MF_CHECKSUM_LEN 8u

/* ---- little-endian helpers ------------------------------------------- */

static void store_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void store_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t load_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t load_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- writing ---------------------------------------------------------- */

struct mf_writer {
    uint8_t *buf;        /* the file so far: header placeholder + sections */
    size_t len;          /* bytes used */
    size_t cap;          /* bytes allocated */
    uint32_t kind;
    int section_open;    /* 1 between mf_writer_begin and mf_writer_end */
    size_t open_at;      /* offset of the open section's header */
    int finished;        /* 1 after finish: only free is allowed */
};

/* Makes room for `extra` more bytes. Returns 0 or SH_ENOMEM (nothing
 * changed). */
static int writer_reserve(mf_writer *w, size_t extra)
{
    if (extra <= w->cap - w->len)
        return 0;
    if (extra > SIZE_MAX - w->len)
        return SH_ENOMEM;
    size_t need = w->len + extra;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *grown = realloc(w->buf, cap);
    if (grown == NULL)
        return SH_ENOMEM;
    w->buf = grown;
    w->cap = cap;
    return 0;
}

int mf_writer_new(uint32_t kind, mf_writer **out)
{
    mf_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return SH_ENOMEM;
    w->kind = kind;
    if (writer_reserve(w, MF_HEADER_LEN) != 0) {
        free(w);
        return SH_ENOMEM;
    }
    memset(w->buf, 0, MF_HEADER_LEN);
    w->len = MF_HEADER_LEN;
    *out = w;
    return 0;
}

static void writer_section_header(mf_writer *w, uint32_t tag, uint64_t len)
{
    store_u32(w->buf + w->len, tag);
    store_u64(w->buf + w->len + 4, len);
    w->len += MF_SECTION_HEADER_LEN;
}

int mf_writer_add(mf_writer *w, uint32_t tag, const void *data, size_t len)
{
    if (w == NULL || w->finished || w->section_open || (data == NULL && len > 0))
        return SH_EINVAL;
    if (len > SIZE_MAX - MF_SECTION_HEADER_LEN)
        return SH_ENOMEM;
    if (writer_reserve(w, MF_SECTION_HEADER_LEN + len) != 0)
        return SH_ENOMEM;
    writer_section_header(w, tag, len);
    if (len > 0)
        memcpy(w->buf + w->len, data, len);
    w->len += len;
    return 0;
}

int mf_writer_begin(mf_writer *w, uint32_t tag)
{
    if (w == NULL || w->finished || w->section_open)
        return SH_EINVAL;
    if (writer_reserve(w, MF_SECTION_HEADER_LEN) != 0)
        return SH_ENOMEM;
    w->open_at = w->len;
    writer_section_header(w, tag, 0);
    w->section_open = 1;
    return 0;
}

/* Appends raw bytes to the open section. */
static int writer_put(mf_writer *w, const void *data, size_t len)
{
    if (w == NULL || !w->section_open || w->finished)
        return SH_EINVAL;
    if (writer_reserve(w, len) != 0)
        return SH_ENOMEM;
    if (len > 0)
        memcpy(w->buf + w->len, data, len);
    w->len += len;
    return 0;
}

int mf_put_u32(mf_writer *w, uint32_t v)
{
    uint8_t b[4];
    store_u32(b, v);
    return writer_put(w, b, sizeof b);
}

int mf_put_u64(mf_writer *w, uint64_t v)
{
    uint8_t b[8];
    store_u64(b, v);
    return writer_put(w, b, sizeof b);
}

int mf_put_f32(mf_writer *w, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return mf_put_u32(w, bits);
}

int mf_put_f64(mf_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return mf_put_u64(w, bits);
}

int mf_put_bytes(mf_writer *w, const void *data, size_t len)
{
    if (data == NULL && len > 0)
        return SH_EINVAL;
    return writer_put(w, data, len);
}

int mf_put_f32_array(mf_writer *w, const float *v, size_t n)
{
    if (w == NULL || !w->section_open || w->finished || (v == NULL && n > 0))
        return SH_EINVAL;
    if (n > SIZE_MAX / 4)
        return SH_ENOMEM;
    if (writer_reserve(w, n * 4) != 0)
        return SH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        store_u32(w->buf + w->len, bits);
        w->len += 4;
    }
    return 0;
}

int mf_put_string(mf_writer *w, const char *s)
{
    if (w == NULL || !w->section_open || w->finished || s == NULL)
        return SH_EINVAL;
    size_t len = strlen(s);
    if (len > UINT32_MAX)
        return SH_EINVAL;
    if (writer_reserve(w, 4 + len) != 0)
        return SH_ENOMEM;
    store_u32(w->buf + w->len, (uint32_t)len);
    memcpy(w->buf + w->len + 4, s, len);
    w->len += 4 + len;
    return 0;
}

int mf_writer_end(mf_writer *w)
{
    if (w == NULL || !w->section_open || w->finished)
        return SH_EINVAL;
    uint64_t body = (uint64_t)(w->len - w->open_at - MF_SECTION_HEADER_LEN);
    store_u64(w->buf + w->open_at + 4, body);
    w->section_open = 0;
    return 0;
}

int mf_writer_finish(mf_writer *w, uint8_t **out_buf, size_t *out_len)
{
    if (w == NULL || w->finished || w->section_open)
        return SH_EINVAL;
    if (writer_reserve(w, MF_CHECKSUM_LEN) != 0)
        return SH_ENOMEM;
    memcpy(w->buf, MF_MAGIC, 8);
    store_u32(w->buf + 8, MF_FORMAT_VERSION);
    store_u32(w->buf + 12, w->kind);
    store_u64(w->buf + 16, (uint64_t)(w->len - MF_HEADER_LEN));
    store_u64(w->buf + w->len, XXH64(w->buf, w->len, 0));
    w->len += MF_CHECKSUM_LEN;
    /* Hand the buffer over: no copy of a possibly large model. */
    *out_buf = w->buf;
    *out_len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    w->finished = 1;
    return 0;
}

/* Writes all of buf to fd, retrying short writes. Returns 0 or errno. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsyncs the directory holding path so that the rename is durable.
 * Failure is not reported: some filesystems refuse fsync on directories,
 * and the file itself is already safely written. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Creates "PATH.tmp.PID.N" exclusively, with mode 0666 less the umask
 * like any new file (mkstemp would force 0600). Returns 0 with *tmp_out
 * (malloc'd) and *fd_out, or SH_ENOMEM / errno. */
static int create_temp(const char *path, char **tmp_out, int *fd_out)
{
    size_t room = strlen(path) + 64;
    char *tmp = malloc(room);
    if (tmp == NULL)
        return SH_ENOMEM;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long nonce = (unsigned long)ts.tv_nsec;
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, room, "%s.tmp.%ld.%lu", path, (long)getpid(), nonce + (unsigned long)attempt);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return 0;
        }
        if (errno != EEXIST) {
            int rc = errno;
            free(tmp);
            return rc;
        }
    }
    free(tmp);
    return EEXIST;
}

int mf_writer_save(mf_writer *w, const char *path, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char *tmp = NULL;
    int fd = -1;
    int rc;

    if (w == NULL || path == NULL || path[0] == '\0')
        return sh_fail(err, err_len, SH_EINVAL, "%s: no model or no path to save to",
                       path ? path : "(null)");
    rc = mf_writer_finish(w, &buf, &len);
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot finish the model: %s", path, sh_strerror(rc));
        goto fail;
    }
    rc = create_temp(path, &tmp, &fd);
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot create a temporary file beside it: %s", path,
                rc == SH_ENOMEM ? "out of memory" : strerror(rc));
        goto fail;
    }
    rc = write_all(fd, buf, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot write: %s", path, strerror(rc));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = errno;
        sh_fail(err, err_len, rc, "%s: cannot write: %s", path, strerror(rc));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = errno;
        sh_fail(err, err_len, rc, "%s: cannot rename the temporary file into place: %s",
                path, strerror(rc));
        goto fail;
    }
    sync_parent_dir(path);
    free(tmp);
    free(buf);
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    free(buf);
    return rc;
}

void mf_writer_free(mf_writer *w)
{
    if (w == NULL)
        return;
    free(w->buf);
    free(w);
}

/* ---- reading ---------------------------------------------------------- */

typedef struct {
    uint32_t tag;
    size_t offset;  /* of the section's bytes within mf_model.bytes */
    size_t len;
} mf_section;

struct mf_model {
    uint8_t *bytes;       /* the whole verified file */
    size_t len;
    uint32_t kind;
    char *label;
    mf_section *sections;
    size_t n_sections;
};

/* Checks the header and checksum of bytes[0, len). Returns 0 or a code
 * with "LABEL: problem" in err. */
static int verify_frame(const uint8_t *bytes, size_t len, const char *label,
                        char *err, size_t err_len)
{
    size_t magic_seen = len < 8 ? len : 8;
    if (memcmp(bytes, MF_MAGIC, magic_seen) != 0)
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: not a semhash model file (wrong magic)", label);
    if (len < MF_HEADER_LEN + MF_CHECKSUM_LEN)
        return sh_fail(err, err_len, SH_ETRUNC,
                       "%s: truncated model file (%zu bytes, the header and checksum "
                       "alone take %u)", label, len, MF_HEADER_LEN + MF_CHECKSUM_LEN);
    uint32_t version = load_u32(bytes + 8);
    if (version != MF_FORMAT_VERSION)
        return sh_fail(err, err_len, SH_EVERSION,
                       "%s: model format version %u, this program reads version %u "
                       "(retrain or use a matching semhash)", label, version,
                       MF_FORMAT_VERSION);
    uint64_t payload = load_u64(bytes + 16);
    uint64_t have = (uint64_t)(len - MF_HEADER_LEN - MF_CHECKSUM_LEN);
    if (payload > have)
        return sh_fail(err, err_len, SH_ETRUNC,
                       "%s: truncated model file (header says %llu payload bytes, "
                       "file holds %llu)", label, (unsigned long long)payload,
                       (unsigned long long)have);
    if (payload < have)
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: %llu unexpected bytes after the model", label,
                       (unsigned long long)(have - payload));
    uint64_t stored = load_u64(bytes + len - MF_CHECKSUM_LEN);
    uint64_t actual = XXH64(bytes, len - MF_CHECKSUM_LEN, 0);
    if (stored != actual)
        return sh_fail(err, err_len, SH_ECHECKSUM,
                       "%s: checksum mismatch (file damaged or changed)", label);
    return 0;
}

/* Walks the sections of a verified frame into m->sections. */
static int index_sections(mf_model *m, char *err, size_t err_len)
{
    size_t pos = MF_HEADER_LEN;
    size_t end = m->len - MF_CHECKSUM_LEN;
    size_t cap = 0;
    while (pos < end) {
        if (end - pos < MF_SECTION_HEADER_LEN)
            return sh_fail(err, err_len, SH_ETRUNC,
                           "%s: truncated section header at byte %zu", m->label, pos);
        uint32_t tag = load_u32(m->bytes + pos);
        uint64_t slen = load_u64(m->bytes + pos + 4);
        pos += MF_SECTION_HEADER_LEN;
        if (slen > (uint64_t)(end - pos))
            return sh_fail(err, err_len, SH_ETRUNC,
                           "%s: section at byte %zu claims %llu bytes, only %zu remain",
                           m->label, pos - MF_SECTION_HEADER_LEN,
                           (unsigned long long)slen, end - pos);
        if (m->n_sections == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            mf_section *grown = realloc(m->sections, ncap * sizeof *grown);
            if (grown == NULL)
                return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", m->label);
            m->sections = grown;
            cap = ncap;
        }
        m->sections[m->n_sections].tag = tag;
        m->sections[m->n_sections].offset = pos;
        m->sections[m->n_sections].len = (size_t)slen;
        m->n_sections++;
        pos += (size_t)slen;
    }
    return 0;
}

int mf_read_buffer(const void *buf, size_t len, const char *label,
                   mf_model **out, char *err, size_t err_len)
{
    mf_model *m = NULL;
    int rc;

    if (label == NULL)
        label = "model buffer";
    if (buf == NULL && len > 0)
        return sh_fail(err, err_len, SH_EINVAL, "%s: no bytes given", label);
    if (len == 0)
        return sh_fail(err, err_len, SH_ETRUNC, "%s: empty model file", label);
    rc = verify_frame(buf, len, label, err, err_len);
    if (rc != 0)
        return rc;

    m = calloc(1, sizeof *m);
    if (m == NULL)
        goto nomem;
    m->label = strdup(label);
    m->bytes = malloc(len);
    if (m->label == NULL || m->bytes == NULL)
        goto nomem;
    memcpy(m->bytes, buf, len);
    m->len = len;
    m->kind = load_u32(m->bytes + 12);
    rc = index_sections(m, err, err_len);
    if (rc != 0)
        goto fail;
    *out = m;
    return 0;

nomem:
    rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", label);
fail:
    mf_model_free(m);
    return rc;
}

/* Reads the whole file into a new buffer. Returns 0 or errno/SH_ENOMEM
 * with a message. */
static int slurp(const char *path, uint8_t **out, size_t *out_len, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    int rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno;
        return sh_fail(err, err_len, rc, "%s: cannot open: %s", path, strerror(rc));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = errno;
        sh_fail(err, err_len, rc, "%s: cannot stat: %s", path, strerror(rc));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = sh_fail(err, err_len, EISDIR, "%s: is a directory, not a model file", path);
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > (uint64_t)SIZE_MAX - 1) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: file too large", path);
        goto fail;
    }
    size_t size = (size_t)st.st_size;
    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory reading %zu bytes",
                     path, size);
        goto fail;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            sh_fail(err, err_len, rc, "%s: cannot read: %s", path, strerror(rc));
            goto fail;
        }
        if (n == 0)
            break; /* shrank while reading: verify what we have */
        got += (size_t)n;
    }
    close(fd);
    *out = buf;
    *out_len = got;
    return 0;

fail:
    close(fd);
    free(buf);
    return rc;
}

int mf_read_file(const char *path, mf_model **out, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (path == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "(null): no model path given");
    int rc = slurp(path, &buf, &len, err, err_len);
    if (rc != 0)
        return rc;
    rc = mf_read_buffer(buf, len, path, out, err, err_len);
    free(buf);
    return rc;
}

uint32_t mf_model_kind(const mf_model *m)
{
    return m->kind;
}

const char *mf_model_label(const mf_model *m)
{
    return m->label;
}

int mf_model_section(const mf_model *m, uint32_t tag, const void **data, size_t *len)
{
    for (size_t i = 0; i < m->n_sections; i++) {
        if (m->sections[i].tag == tag) {
            *data = m->bytes + m->sections[i].offset;
            *len = m->sections[i].len;
            return 0;
        }
    }
    return SH_ENOTFOUND;
}

void mf_model_free(mf_model *m)
{
    if (m == NULL)
        return;
    free(m->bytes);
    free(m->label);
    free(m->sections);
    free(m);
}

/* ---- parsing a section ------------------------------------------------ */

void mf_cursor_init(mf_cursor *c, const void *data, size_t len)
{
    c->data = data;
    c->len = data != NULL ? len : 0;
    c->pos = 0;
}

size_t mf_cursor_left(const mf_cursor *c)
{
    return c->len - c->pos;
}

int mf_get_bytes(mf_cursor *c, void *out, size_t len)
{
    if (len > mf_cursor_left(c))
        return SH_ETRUNC;
    if (len > 0)
        memcpy(out, c->data + c->pos, len);
    c->pos += len;
    return 0;
}

int mf_get_u32(mf_cursor *c, uint32_t *v)
{
    if (mf_cursor_left(c) < 4)
        return SH_ETRUNC;
    *v = load_u32(c->data + c->pos);
    c->pos += 4;
    return 0;
}

int mf_get_u64(mf_cursor *c, uint64_t *v)
{
    if (mf_cursor_left(c) < 8)
        return SH_ETRUNC;
    *v = load_u64(c->data + c->pos);
    c->pos += 8;
    return 0;
}

int mf_get_f32(mf_cursor *c, float *v)
{
    uint32_t bits;
    int rc = mf_get_u32(c, &bits);
    if (rc == 0)
        memcpy(v, &bits, sizeof bits);
    return rc;
}

int mf_get_f64(mf_cursor *c, double *v)
{
    uint64_t bits;
    int rc = mf_get_u64(c, &bits);
    if (rc == 0)
        memcpy(v, &bits, sizeof bits);
    return rc;
}

int mf_get_f32_array(mf_cursor *c, float *out, size_t n)
{
    if (n > mf_cursor_left(c) / 4)
        return SH_ETRUNC;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = load_u32(c->data + c->pos + 4 * i);
        memcpy(&out[i], &bits, sizeof bits);
    }
    c->pos += 4 * n;
    return 0;
}

int mf_get_string(mf_cursor *c, const char **s, size_t *len)
{
    if (mf_cursor_left(c) < 4)
        return SH_ETRUNC;
    uint32_t n = load_u32(c->data + c->pos);
    if ((uint64_t)n > (uint64_t)(mf_cursor_left(c) - 4))
        return SH_ETRUNC;
    *s = (const char *)(c->data + c->pos + 4);
    *len = n;
    c->pos += 4 + (size_t)n;
    return 0;
}
