/* data_idx.c — reader for IDX files of unsigned bytes (MNIST and
 * Fashion-MNIST images and labels), plain or gzip-compressed; zlib's
 * gzread reads both transparently. Only the u8 type (0x08) is supported:
 * that is what the image data sets use. */
#include "dataset.h"
#include "sh_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAX_DIMS 4

typedef struct {
    uint32_t magic;
    size_t ndims;
    size_t dims[IDX_MAX_DIMS];
} idx_header;

/* Reads exactly len bytes; returns the count actually read, or -1 on a
 * zlib/stdio error. */
static long long gz_read_full(gzFile gz, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > (1u << 30))
            chunk = 1u << 30;
        int got = gzread(gz, (unsigned char *)buf + done, (unsigned)chunk);
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        done += (size_t)got;
    }
    return (long long)done;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int gz_error(gzFile gz, const char *path, char *err, size_t err_len)
{
    int zerr = 0;
    const char *msg = gzerror(gz, &zerr);
    if (zerr == Z_ERRNO) {
        int e = errno ? errno : EIO;
        return sh_fail(err, err_len, e, "%s: read error: %s", path, strerror(e));
    }
    return sh_fail(err, err_len, SH_EFORMAT, "%s: corrupt gzip data: %s", path, msg);
}

/* Opens path and reads and checks its header against the expected magic.
 * On success *gz_out is open and the caller closes it. */
static int idx_open(const char *path, uint32_t expect_magic, const char *what,
                    gzFile *gz_out, idx_header *h, char *err, size_t err_len)
{
    *gz_out = NULL;
    if (path == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "IDX reader: NULL path");
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL) {
        int e = errno ? errno : ENOMEM;
        return sh_fail(err, err_len, e, "%s: cannot open: %s", path, strerror(e));
    }
    int rc;
    unsigned char buf[4 * (1 + IDX_MAX_DIMS)];
    long long got = gz_read_full(gz, buf, 4);
    if (got < 0) {
        rc = gz_error(gz, path, err, err_len);
        goto fail;
    }
    if (got < 4) {
        rc = sh_fail(err, err_len, SH_ETRUNC, "%s: truncated: %lld bytes, no IDX header",
                     path, got);
        goto fail;
    }
    h->magic = be32(buf);
    if (h->magic != expect_magic) {
        rc = sh_fail(err, err_len, SH_EFORMAT,
                     "%s: bad magic 0x%08x, expected 0x%08x (IDX %s); is this the right file?",
                     path, (unsigned)h->magic, (unsigned)expect_magic, what);
        goto fail;
    }
    h->ndims = expect_magic & 0xffu;
    got = gz_read_full(gz, buf, 4 * h->ndims);
    if (got < 0) {
        rc = gz_error(gz, path, err, err_len);
        goto fail;
    }
    if ((size_t)got < 4 * h->ndims) {
        rc = sh_fail(err, err_len, SH_ETRUNC, "%s: truncated inside the IDX header", path);
        goto fail;
    }
    for (size_t i = 0; i < h->ndims; i++)
        h->dims[i] = be32(buf + 4 * i);
    *gz_out = gz;
    return 0;
fail:
    gzclose(gz);
    return rc;
}

/* Reads exactly len payload bytes into buf, then checks that the file
 * ends there. */
static int idx_read_payload(gzFile gz, const char *path, unsigned char *buf, size_t len,
                            const char *what, char *err, size_t err_len)
{
    long long got = gz_read_full(gz, buf, len);
    if (got < 0)
        return gz_error(gz, path, err, err_len);
    if ((size_t)got < len)
        return sh_fail(err, err_len, SH_ETRUNC,
                       "%s: truncated: header promises %zu bytes of %s, file has %lld",
                       path, len, what, got);
    unsigned char extra;
    got = gz_read_full(gz, &extra, 1);
    if (got < 0)
        return gz_error(gz, path, err, err_len);
    if (got > 0)
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: unexpected bytes after the %zu bytes of %s", path, len, what);
    return 0;
}

int data_idx_read_images(const char *path, sh_mat *out, size_t *height, size_t *width,
                         char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    gzFile gz = NULL;
    idx_header h;
    unsigned char *bytes = NULL;
    int rc = idx_open(path, DATA_IDX_MAGIC_IMAGES, "u8 images", &gz, &h, err, err_len);
    if (rc != 0)
        return rc;
    size_t n = h.dims[0], rows = h.dims[1], cols = h.dims[2];
    if (n == 0 || rows == 0 || cols == 0) {
        rc = sh_fail(err, err_len, SH_EFORMAT, "%s: IDX dimensions %zu x %zu x %zu: no pixels",
                     path, n, rows, cols);
        goto fail;
    }
    /* Each dimension is < 2^32, so rows*cols fits; guard the product with n. */
    size_t pixels = rows * cols;
    if (n > SIZE_MAX / sizeof(float) / pixels) {
        rc = sh_fail(err, err_len, SH_EFORMAT, "%s: IDX dimensions too large", path);
        goto fail;
    }
    bytes = malloc(n * pixels);
    if (bytes == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: no memory for %zu images", path, n);
        goto fail;
    }
    rc = idx_read_payload(gz, path, bytes, n * pixels, "pixels", err, err_len);
    if (rc != 0)
        goto fail;
    rc = mat_alloc(out, n, pixels);
    if (rc != 0) {
        rc = sh_fail(err, err_len, rc, "%s: no memory for %zu images", path, n);
        goto fail;
    }
    for (size_t i = 0; i < n * pixels; i++)
        out->data[i] = (float)bytes[i] / 255.0f;
    if (height != NULL)
        *height = rows;
    if (width != NULL)
        *width = cols;
    rc = 0;
fail:
    free(bytes);
    gzclose(gz);
    return rc;
}

int data_idx_read_labels(const char *path, int **labels, size_t *count,
                         char *err, size_t err_len)
{
    *labels = NULL;
    *count = 0;
    gzFile gz = NULL;
    idx_header h;
    unsigned char *bytes = NULL;
    int *out = NULL;
    int rc = idx_open(path, DATA_IDX_MAGIC_LABELS, "u8 labels", &gz, &h, err, err_len);
    if (rc != 0)
        return rc;
    size_t n = h.dims[0];
    if (n == 0) {
        rc = sh_fail(err, err_len, SH_EFORMAT, "%s: IDX label file holds 0 labels", path);
        goto fail;
    }
    bytes = malloc(n);
    out = malloc(n * sizeof(int));
    if (bytes == NULL || out == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: no memory for %zu labels", path, n);
        goto fail;
    }
    rc = idx_read_payload(gz, path, bytes, n, "labels", err, err_len);
    if (rc != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        out[i] = bytes[i];
    *labels = out;
    *count = n;
    out = NULL;
    rc = 0;
fail:
    free(out);
    free(bytes);
    gzclose(gz);
    return rc;
}

int data_idx_load(const char *images_path, const char *labels_path, sh_dataset *out,
                  char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    int rc = data_idx_read_images(images_path, &out->x, NULL, NULL, err, err_len);
    if (rc != 0)
        return rc;
    if (labels_path == NULL)
        return 0;
    size_t count = 0;
    rc = data_idx_read_labels(labels_path, &out->labels, &count, err, err_len);
    if (rc != 0)
        goto fail;
    if (count != out->x.rows) {
        rc = sh_fail(err, err_len, SH_EINPUT,
                     "%s holds %zu labels but %s holds %zu images; use the matching pair",
                     labels_path, count, images_path, out->x.rows);
        goto fail;
    }
    int max_label = -1;
    for (size_t i = 0; i < count; i++)
        if (out->labels[i] > max_label)
            max_label = out->labels[i];
    out->n_classes = (size_t)(max_label + 1);
    return 0;
fail:
    dataset_free(out);
    return rc;
}
