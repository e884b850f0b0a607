/* png_write.h — PNG pictures for the autoencoder toolkit, through libpng:
 * grids of grey images (reconstructions, denoised digits, VAE samples)
 * and scatter plots of 2-D embeddings coloured by label.
 *
 * What it does not do: text, axes ticks, legends, anti-aliasing, reading
 * PNG. Pictures are plain 8-bit grey or RGB, written in one go.
 *
 * Errors: functions return 0, SH_EINVAL (bad arguments, nothing written),
 * SH_ENOMEM, a positive errno when the file cannot be opened or written,
 * or SH_EFORMAT when libpng refuses the image (its message is copied);
 * when err is non-NULL it receives one line naming the file. A failed
 * write may leave a partial file behind.
 * Threads: no global state.
 */
#ifndef SH_PNG_WRITE_H
#define SH_PNG_WRITE_H

#include <stddef.h>

#include "matrix.h"

#define PNG_GRID_SEPARATOR 128 /* grey level of separator lines and empty tiles */
#define PNG_SCATTER_MARGIN 8   /* pixels between the picture edge and the plot area */
#define PNG_SCATTER_RADIUS 2   /* a point is a (2R+1) x (2R+1) filled square */
#define PNG_SCATTER_PALETTE 12 /* distinct label colours; labels wrap around */

/* Writes an 8-bit grey PNG showing `count` images of height x width
 * floats (row-major, image i at images + i*height*width) as a grid of
 * grid_rows x grid_cols tiles, filled row by row. Tiles are separated by
 * 1-pixel lines of grey PNG_GRID_SEPARATOR; tiles past `count` are that
 * grey too. The picture is (grid_cols*width + grid_cols-1) pixels wide
 * and (grid_rows*height + grid_rows-1) high. A value v becomes
 * round(255 * v) after clamping to [0, 1]; NaN becomes 0.
 * SH_EINVAL when a size is 0, count > grid_rows*grid_cols, or the picture
 * would exceed 2^20 pixels on a side. */
int png_write_grid(const char *path, const float *images, size_t count,
                   size_t height, size_t width, size_t grid_rows, size_t grid_cols,
                   char *err, size_t err_len);

/* Writes a width x height RGB PNG scatter plot of the rows of points
 * (columns 0 and 1 are x and y; further columns are ignored) on a white
 * background, with a light grey frame just outside the plot area. The
 * point (x, y) is a filled square centred on
 *   column round(M + (x - xmin) / (xmax - xmin) * (width - 1 - 2M)),
 *   row    round(height - 1 - M - (y - ymin) / (ymax - ymin) * (height - 1 - 2M))
 * with M = PNG_SCATTER_MARGIN and the ranges taken over the finite points
 * (a zero range counts as the fraction 0.5: every point in the middle).
 * The frame is the rectangle M - R - 1 pixels in from each edge (R =
 * PNG_SCATTER_RADIUS), grey 200. Points are drawn in row order, later
 * ones on top, coloured by png_palette_rgb(labels[i]); labels may be
 * NULL (every point gets colour 0). Rows with a non-finite
 * coordinate are skipped. SH_EINVAL when points has fewer than 2
 * columns, no finite row, or width/height are below 2M + 1 or above
 * 2^14. */
int png_write_scatter(const char *path, const sh_mat *points, const int *labels,
                      size_t width, size_t height, char *err, size_t err_len);

/* The colour of a label: one of PNG_SCATTER_PALETTE distinct colours for
 * label mod PNG_SCATTER_PALETTE, and mid grey for a negative label
 * (unlabelled). Cannot fail. */
void png_palette_rgb(int label, unsigned char rgb[3]);

#endif
