/* dataset.h — labelled numeric data for the autoencoder toolkit: readers
 * for IDX image files (the MNIST / Fashion-MNIST format) and for CSV/TSV
 * matrices, a TSV writer for embeddings and scores, and a seeded,
 * stratified train/test split.
 *
 * What it does not do: text corpora (that is the tokenizer's job) or
 * memory mapping: everything is read into memory at once. Feature scaling
 * is limited to per-column affine maps (min-max, standardisation) fitted
 * on training data (data_scale.c).
 *
 * Data model: features live in an sh_mat (N x D, row-major floats);
 * labels are an int array of N entries in 0 .. n_classes-1, with -1 for a
 * row whose label is missing; a dataset without any labels has
 * labels == NULL.
 *
 * Errors: every function returns 0 or an error code (sh_error.h) and, when
 * err is non-NULL, writes one line naming the file (and for text formats
 * the line and column) and the problem. Codes used:
 *   positive errno  the file could not be opened, read or written
 *   SH_EFORMAT      not the expected format (IDX magic, dimensions)
 *   SH_ETRUNC       the file ends before its header says it should
 *   SH_EINPUT       malformed content: ragged rows, non-numeric or
 *                   non-finite cells, label/image count mismatch
 *   SH_EEMPTY       no data rows
 *   SH_EINVAL       bad arguments (NULL pointers, fractions out of range)
 *   SH_ENOMEM       allocation failed
 * On any failure the output dataset is left zeroed (nothing to free).
 *
 * Threads: no global state; distinct datasets may be used from distinct
 * threads.
 */
#ifndef SH_DATASET_H
#define SH_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "matrix.h"
#include "rng.h"

typedef struct {
    sh_mat x;           /* N x D features, owned */
    int *labels;        /* N labels in 0..n_classes-1 or -1 (missing); NULL = unlabelled; owned */
    size_t n_classes;   /* 0 when labels == NULL */
    char **class_names; /* n_classes names when labels came from strings, else NULL; owned */
    char **col_names;   /* D feature names from a header row, else NULL; owned */
} sh_dataset;

/* Frees every buffer of d and zeroes it. Accepts NULL and a zeroed
 * dataset. */
void dataset_free(sh_dataset *d);

/* ---- IDX (MNIST / Fashion-MNIST) ------------------------------------ */

#define DATA_IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions: N x rows x cols */
#define DATA_IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension: N */

/* Reads an IDX u8 image file (magic 0x00000803; gzip-compressed or plain,
 * detected by zlib) into *out as an N x (rows*cols) matrix with every byte
 * scaled to [0, 1] (byte / 255). Fails with errno (open/read), SH_EFORMAT
 * (wrong magic, a zero dimension, or bytes after the last image),
 * SH_ETRUNC (file shorter than N*rows*cols pixels), SH_ENOMEM. On failure
 * *out is zeroed. If height/width are non-NULL they receive rows/cols. */
int data_idx_read_images(const char *path, sh_mat *out, size_t *height, size_t *width,
                         char *err, size_t err_len);

/* Reads an IDX u8 label file (magic 0x00000801) into a newly allocated
 * array *labels of *count ints (the caller frees it with free()). Same
 * failures as data_idx_read_images. On failure *labels is NULL and
 * *count 0. */
int data_idx_read_labels(const char *path, int **labels, size_t *count,
                         char *err, size_t err_len);

/* Reads an image file and, if labels_path is non-NULL, its label file into
 * *out (n_classes = largest label + 1, no names). Fails as the two readers
 * above, and with SH_EINPUT when the label count differs from the image
 * count (the message names both files and both counts). */
int data_idx_load(const char *images_path, const char *labels_path, sh_dataset *out,
                  char *err, size_t err_len);

/* ---- CSV / TSV -------------------------------------------------------- */

typedef struct {
    char delimiter;         /* 0 = by extension (.tsv/.tab: tab, .csv: comma; a trailing
                             * .gz is ignored), else sniffed from the first line
                             * (most frequent of tab, comma, semicolon) */
    int header;             /* -1 = detect (first row has a non-empty feature cell that
                             * is not a number; "nan"/"inf" count as numbers),
                             * 0 = no header, 1 = header */
    const char *label_name; /* label column by header name (implies a header), or NULL */
    int label_col;          /* label column by 0-based index; -1 = none; ignored when
                             * label_name is set */
} data_csv_opts;

/* Options with every field at its default: sniff/extension delimiter,
 * detect header, no label column. Cannot fail. */
data_csv_opts data_csv_default_opts(void);

/* Reads a numeric delimited text file (plain or gzip) into *out. Blank
 * lines are skipped; "\r\n" endings are accepted; a cell may be wrapped in
 * double quotes ("" for a literal quote). Every feature cell must be a
 * finite number.
 *
 * Labels: if every non-empty label cell is a non-negative integer, labels
 * keep their values (n_classes = largest + 1, class_names NULL);
 * otherwise they are strings mapped to 0..C-1 in order of first
 * appearance, with the strings kept in class_names. An empty label cell
 * gives -1.
 *
 * Columns in messages count from 1, lines from 1 (blank lines included).
 * Fails with errno (open/read), SH_EFORMAT (corrupt gzip data),
 * SH_EEMPTY (no data rows; a header alone counts as empty), SH_EINPUT (a
 * row with a different number of cells than the first, a non-numeric,
 * empty or non-finite feature cell, an unterminated quote, an unknown
 * label column name or a label index beyond the columns, no feature
 * column; the message says "path:line: column c: ..." where it applies),
 * SH_EINVAL (NULL path; label_name given with header = 0), SH_ENOMEM. On
 * failure *out is zeroed. opts may be NULL for the defaults. A header
 * row with a different cell count than the data is reported as ragged. */
int data_csv_read(const char *path, const data_csv_opts *opts, sh_dataset *out,
                  char *err, size_t err_len);

/* Writes m as TSV: a header line "id" followed by col_names (or d0, d1,
 * ... when col_names is NULL), then one line per row: ids[r] (or the row
 * index when ids is NULL) and the values printed with 9 significant
 * digits, so floats read back exactly. Ids must not contain tabs or
 * newlines (SH_EINVAL, nothing written). Fails with errno when the file
 * cannot be written (a partial file may remain). */
int data_tsv_write(const char *path, const sh_mat *m, const char *const *ids,
                   const char *const *col_names, char *err, size_t err_len);

/* ---- train / test split ------------------------------------------------ */

/* Splits d into *train and *test, putting round(test_fraction * count) of
 * each class's rows into test (rows with label -1, or all rows when the
 * data are unlabelled, form one more stratum). Which rows go where is
 * drawn from rng; both outputs keep the original row order. Class count,
 * class names and column names are copied into both. If train_rows /
 * test_rows are non-NULL they receive newly allocated arrays of the
 * original row indices (caller frees with free()).
 * Fails with SH_EINVAL (test_fraction outside [0, 1]), SH_ENOMEM; on
 * failure all outputs are zeroed / NULL. */
int data_split(const sh_dataset *d, double test_fraction, sh_rng *rng,
               sh_dataset *train, sh_dataset *test,
               size_t **train_rows, size_t **test_rows);

/* Copies the rows rows[0..n) of d into *out (labels, class and column
 * names copied too). Fails with SH_EINVAL (a row index out of range) or
 * SH_ENOMEM; on failure *out is zeroed. */
int dataset_take_rows(const sh_dataset *d, const size_t *rows, size_t n, sh_dataset *out);

/* ---- per-column scaling (data_scale.c) --------------------------------- */

typedef enum {
    DATA_SCALE_MINMAX,   /* the fitted data's columns onto [0, 1] */
    DATA_SCALE_STANDARD  /* mean 0, standard deviation 1 (population, divide by N) */
} data_scale_kind;

/* x' = (x - offset[j]) * factor[j] for column j. A column that is
 * constant in the fitted data gets factor 0 (it maps to 0). */
typedef struct {
    size_t cols;
    float *offset; /* cols entries, owned */
    float *factor; /* cols entries, owned */
} data_scaler;

/* Fits a scaler of the given kind on the columns of x (statistics in
 * double). Returns 0, SH_EINVAL (NULL, no rows or columns, a non-finite
 * value, an unknown kind) or SH_ENOMEM; on failure *out is zeroed. */
int data_scaler_fit(const sh_mat *x, data_scale_kind kind, data_scaler *out);

/* Applies s to every row of x in place (data outside the fitted range
 * maps outside [0, 1] / beyond the fitted spread; nothing is clipped).
 * Returns 0 or SH_EINVAL (NULL, or x->cols != s->cols: x unchanged). */
int data_scaler_apply(const data_scaler *s, sh_mat *x);

/* Frees the scaler's arrays and zeroes it. Accepts NULL. */
void data_scaler_free(data_scaler *s);

#endif
