/* png_write.c — grey image grids and labelled scatter plots as PNG, through
 * libpng's simplified write API (png_image_write_to_stdio). */
#include "png_write.h"
#include "sh_error.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PNG_MAX_SIDE ((size_t)1 << 20)
#define SCATTER_MAX_SIDE ((size_t)1 << 14)

/* Ten Tableau colours and two more, chosen to stay apart from each other
 * and from the grey of unlabelled points. */
static const unsigned char palette[PNG_SCATTER_PALETTE][3] = {
    { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 },  { 214, 39, 40 },
    { 148, 103, 189 }, { 140, 86, 75 }, { 227, 119, 194 }, { 188, 189, 34 },
    { 23, 190, 207 }, { 0, 0, 0 },      { 255, 215, 0 },   { 0, 0, 128 },
};

void png_palette_rgb(int label, unsigned char rgb[3])
{
    if (label < 0) {
        rgb[0] = rgb[1] = rgb[2] = 128;
        return;
    }
    memcpy(rgb, palette[label % PNG_SCATTER_PALETTE], 3);
}

/* Writes pixels (8-bit grey or RGB, rows packed) to path. */
static int write_png(const char *path, const unsigned char *pixels, size_t width, size_t height,
                     int rgb, char *err, size_t err_len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        int e = errno;
        return sh_fail(err, err_len, e, "%s: cannot open for writing: %s", path, strerror(e));
    }
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    errno = 0;
    int ok = png_image_write_to_stdio(&image, f, 0, pixels, 0, NULL);
    int e = errno;
    int rc = 0;
    if (!ok)
        rc = sh_fail(err, err_len, e ? e : SH_EFORMAT, "%s: PNG write failed: %s", path,
                     e ? strerror(e) : image.message);
    png_image_free(&image);
    if (fclose(f) != 0 && rc == 0) {
        e = errno;
        rc = sh_fail(err, err_len, e, "%s: write failed: %s", path, strerror(e));
    }
    return rc;
}

static unsigned char grey_level(float v)
{
    if (!(v > 0.0f)) /* also NaN */
        return 0;
    if (v >= 1.0f)
        return 255;
    return (unsigned char)lroundf(v * 255.0f);
}

int png_write_grid(const char *path, const float *images, size_t count,
                   size_t height, size_t width, size_t grid_rows, size_t grid_cols,
                   char *err, size_t err_len)
{
    if (path == NULL || (images == NULL && count > 0) || height == 0 || width == 0 ||
        grid_rows == 0 || grid_cols == 0 || height > PNG_MAX_SIDE || width > PNG_MAX_SIDE ||
        grid_rows > PNG_MAX_SIDE || grid_cols > PNG_MAX_SIDE)
        return sh_fail(err, err_len, SH_EINVAL, "%s: bad image grid sizes",
                       path ? path : "png_write_grid");
    size_t pic_w = grid_cols * width + grid_cols - 1;
    size_t pic_h = grid_rows * height + grid_rows - 1;
    if (count > grid_rows * grid_cols || pic_w > PNG_MAX_SIDE || pic_h > PNG_MAX_SIDE)
        return sh_fail(err, err_len, SH_EINVAL,
                       "%s: %zu images do not fit a %zu x %zu grid of %zu x %zu tiles", path,
                       count, grid_rows, grid_cols, height, width);
    unsigned char *pix = malloc(pic_w * pic_h);
    if (pix == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "%s: no memory for %zu x %zu pixels", path,
                       pic_w, pic_h);
    memset(pix, PNG_GRID_SEPARATOR, pic_w * pic_h);
    for (size_t i = 0; i < count; i++) {
        size_t top = (i / grid_cols) * (height + 1), left = (i % grid_cols) * (width + 1);
        const float *img = images + i * height * width;
        for (size_t r = 0; r < height; r++)
            for (size_t c = 0; c < width; c++)
                pix[(top + r) * pic_w + left + c] = grey_level(img[r * width + c]);
    }
    int rc = write_png(path, pix, pic_w, pic_h, 0, err, err_len);
    free(pix);
    return rc;
}

/* Where v lies in [lo, hi], as a fraction; 0.5 for an empty range. */
static double range_fraction(double v, double lo, double hi)
{
    return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

int png_write_scatter(const char *path, const sh_mat *points, const int *labels,
                      size_t width, size_t height, char *err, size_t err_len)
{
    const size_t m = PNG_SCATTER_MARGIN;
    if (path == NULL || points == NULL || points->cols < 2 || points->data == NULL ||
        width < 2 * m + 1 || height < 2 * m + 1 || width > SCATTER_MAX_SIDE ||
        height > SCATTER_MAX_SIDE)
        return sh_fail(err, err_len, SH_EINVAL, "%s: bad scatter plot arguments",
                       path ? path : "png_write_scatter");
    size_t n = points->rows, stride = points->cols;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t finite = 0;
    for (size_t i = 0; i < n; i++) {
        double x = points->data[i * stride], y = points->data[i * stride + 1];
        if (!isfinite(x) || !isfinite(y))
            continue;
        finite++;
        xmin = x < xmin ? x : xmin;
        xmax = x > xmax ? x : xmax;
        ymin = y < ymin ? y : ymin;
        ymax = y > ymax ? y : ymax;
    }
    if (finite == 0)
        return sh_fail(err, err_len, SH_EINVAL, "%s: no point with finite coordinates", path);

    unsigned char *pix = malloc(width * height * 3);
    if (pix == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "%s: no memory for %zu x %zu pixels", path,
                       width, height);
    memset(pix, 255, width * height * 3);
    /* Frame one pixel outside the reach of the markers. */
    const size_t inset = m - PNG_SCATTER_RADIUS - 1;
    for (size_t c = inset; c < width - inset; c++)
        for (size_t k = 0; k < 3; k++) {
            pix[(inset * width + c) * 3 + k] = 200;
            pix[((height - 1 - inset) * width + c) * 3 + k] = 200;
        }
    for (size_t r = inset; r < height - inset; r++)
        for (size_t k = 0; k < 3; k++) {
            pix[(r * width + inset) * 3 + k] = 200;
            pix[(r * width + width - 1 - inset) * 3 + k] = 200;
        }
    for (size_t i = 0; i < n; i++) {
        double x = points->data[i * stride], y = points->data[i * stride + 1];
        if (!isfinite(x) || !isfinite(y))
            continue;
        long cx = lround((double)m + range_fraction(x, xmin, xmax) * (double)(width - 1 - 2 * m));
        long cy = lround((double)(height - 1 - m) -
                         range_fraction(y, ymin, ymax) * (double)(height - 1 - 2 * m));
        unsigned char rgb[3];
        png_palette_rgb(labels != NULL ? labels[i] : 0, rgb);
        for (long r = cy - PNG_SCATTER_RADIUS; r <= cy + PNG_SCATTER_RADIUS; r++)
            for (long c = cx - PNG_SCATTER_RADIUS; c <= cx + PNG_SCATTER_RADIUS; c++)
                memcpy(pix + ((size_t)r * width + (size_t)c) * 3, rgb, 3);
    }
    int rc = write_png(path, pix, width, height, 1, err, err_len);
    free(pix);
    return rc;
}
