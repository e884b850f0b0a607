/* test_png.c — the PNG writer: files are decoded back with libpng and
 * compared pixel by pixel with what the documented layout says. */
#include <check.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "png_write.h"
#include "sh_error.h"

static char dir[64];
static char file[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/sh_png_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/out.png", dir);
}

static void teardown(void)
{
    unlink(file);
    rmdir(dir);
}

/* Decodes file into a new buffer of the given format; sizes out. */
static unsigned char *decode(png_uint_32 format, size_t *w, size_t *h)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    ck_assert_msg(png_image_begin_read_from_file(&img, file), "%s", img.message);
    img.format = format;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(img));
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(png_image_finish_read(&img, NULL, buf, 0, NULL), "%s", img.message);
    *w = img.width;
    *h = img.height;
    return buf;
}

START_TEST(grid_decodes_to_expected_pixels)
{
    enum { COUNT = 5, TH = 3, TW = 4, GR = 2, GC = 3 };
    float images[COUNT * TH * TW];
    for (int i = 0; i < COUNT * TH * TW; i++)
        images[i] = (float)((i * 7) % 23) / 20.0f - 0.05f; /* some below 0, some above 1 */
    images[5] = NAN;
    char err[256];
    ck_assert_int_eq(png_write_grid(file, images, COUNT, TH, TW, GR, GC, err, sizeof(err)), 0);
    size_t w, h;
    unsigned char *pix = decode(PNG_FORMAT_GRAY, &w, &h);
    ck_assert_uint_eq(w, GC * TW + GC - 1);
    ck_assert_uint_eq(h, GR * TH + GR - 1);
    size_t tile_pixels = 0, separators = 0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            int expect = PNG_GRID_SEPARATOR;
            if (x % (TW + 1) != TW && y % (TH + 1) != TH) {
                size_t tile = (y / (TH + 1)) * GC + x / (TW + 1);
                if (tile < COUNT) {
                    float v = images[tile * TH * TW + (y % (TH + 1)) * TW + x % (TW + 1)];
                    expect = isnan(v) ? 0 : (int)lroundf(255.0f * fminf(fmaxf(v, 0.0f), 1.0f));
                    tile_pixels++;
                }
            } else {
                separators++;
            }
            ck_assert_msg(pix[y * w + x] == expect, "pixel (%zu, %zu) = %d, want %d", x, y,
                          pix[y * w + x], expect);
        }
    ck_assert_uint_eq(tile_pixels, COUNT * TH * TW);
    ck_assert_uint_eq(separators, w * h - GR * GC * TH * TW);
    ck_assert_int_eq(pix[0], 0);               /* image 0, pixel 0: -0.05 clamps to 0 */
    free(pix);

    ck_assert_int_eq(png_write_grid(file, images, 7, TH, TW, GR, GC, err, sizeof(err)), SH_EINVAL);
    ck_assert_int_eq(png_write_grid(file, images, 1, 0, TW, GR, GC, err, sizeof(err)), SH_EINVAL);
    ck_assert_int_gt(png_write_grid("/nonexistent-dir/x.png", images, 1, TH, TW, 1, 1, err,
                                    sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.png"));
}
END_TEST

static void expect_rgb(const unsigned char *pix, size_t w, long x, long y, const unsigned char rgb[3])
{
    const unsigned char *p = pix + ((size_t)y * w + (size_t)x) * 3;
    ck_assert_msg(p[0] == rgb[0] && p[1] == rgb[1] && p[2] == rgb[2],
                  "pixel (%ld, %ld) = %d,%d,%d, want %d,%d,%d", x, y, p[0], p[1], p[2],
                  rgb[0], rgb[1], rgb[2]);
}

START_TEST(scatter_places_and_colours_points)
{
    const size_t W = 101, H = 61, M = PNG_SCATTER_MARGIN, R = PNG_SCATTER_RADIUS;
    /* Corners of the data range, a middle point, a non-finite one; x and y
     * deliberately on different scales; a third ignored column. */
    float data[6][3] = { { -2, 10, 0 }, { 6, 10, 0 }, { -2, 30, 0 },
                         { 6, 30, 0 },  { 2, 20, 0 }, { NAN, 20, 0 } };
    sh_mat pts = { 6, 3, &data[0][0] };
    int labels[6] = { 0, 1, 2, 13, -1, 4 };
    char err[256];
    ck_assert_int_eq(png_write_scatter(file, &pts, labels, W, H, err, sizeof(err)), 0);
    size_t w, h;
    unsigned char *pix = decode(PNG_FORMAT_RGB, &w, &h);
    ck_assert_uint_eq(w, W);
    ck_assert_uint_eq(h, H);

    /* Left/right columns M and W-1-M; bottom row (low y) H-1-M, top M. */
    long left = (long)M, right = (long)(W - 1 - M), top = (long)M, bottom = (long)(H - 1 - M);
    unsigned char rgb[3];
    long where[5][2] = { { left, bottom }, { right, bottom }, { left, top }, { right, top },
                         { (long)lround(M + 0.5 * (W - 1 - 2 * M)), (long)lround(H - 1 - M - 0.5 * (H - 1 - 2 * M)) } };
    size_t coloured_expected = 0;
    for (int i = 0; i < 5; i++) {
        png_palette_rgb(labels[i], rgb);
        for (long dy = -(long)R; dy <= (long)R; dy++)
            for (long dx = -(long)R; dx <= (long)R; dx++) {
                expect_rgb(pix, w, where[i][0] + dx, where[i][1] + dy, rgb);
                coloured_expected++;
            }
    }
    /* Label 13 wraps to 13 mod 12 = 1: same colour as label 1; label -1 grey. */
    unsigned char c1[3], c13[3], grey[3];
    png_palette_rgb(1, c1);
    png_palette_rgb(13, c13);
    png_palette_rgb(-1, grey);
    ck_assert_mem_eq(c1, c13, 3);
    ck_assert_int_eq(grey[0], 128);
    /* The palette's first colours are distinct. */
    for (int a = 0; a < PNG_SCATTER_PALETTE; a++)
        for (int b = a + 1; b < PNG_SCATTER_PALETTE; b++) {
            unsigned char ca[3], cb[3];
            png_palette_rgb(a, ca);
            png_palette_rgb(b, cb);
            ck_assert_int_ne(memcmp(ca, cb, 3), 0);
        }

    /* Everything else is white background or the grey frame. */
    const unsigned char white[3] = { 255, 255, 255 }, frame[3] = { 200, 200, 200 };
    size_t inset = M - R - 1, coloured = 0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            const unsigned char *p = pix + (y * w + x) * 3;
            int on_frame = (x >= inset && x <= w - 1 - inset && (y == inset || y == h - 1 - inset)) ||
                           (y >= inset && y <= h - 1 - inset && (x == inset || x == w - 1 - inset));
            if (on_frame)
                expect_rgb(pix, w, (long)x, (long)y, frame);
            else if (memcmp(p, white, 3) != 0)
                coloured++;
        }
    ck_assert_uint_eq(coloured, coloured_expected);
    free(pix);

    sh_mat one_col = { 6, 1, &data[0][0] };
    ck_assert_int_eq(png_write_scatter(file, &one_col, labels, W, H, err, sizeof(err)), SH_EINVAL);
    ck_assert_int_eq(png_write_scatter(file, &pts, labels, 2 * M, H, err, sizeof(err)), SH_EINVAL);
    float nans[2] = { NAN, 1 };
    sh_mat bad = { 1, 2, nans };
    ck_assert_int_eq(png_write_scatter(file, &bad, NULL, W, H, err, sizeof(err)), SH_EINVAL);
}
END_TEST

START_TEST(scatter_single_point_in_middle)
{
    float xy[2] = { 3, 3 };
    sh_mat pts = { 1, 2, xy };
    char err[256];
    ck_assert_int_eq(png_write_scatter(file, &pts, NULL, 41, 41, err, sizeof(err)), 0);
    size_t w, h;
    unsigned char *pix = decode(PNG_FORMAT_RGB, &w, &h);
    unsigned char rgb[3];
    png_palette_rgb(0, rgb);
    expect_rgb(pix, w, 20, 20, rgb);
    free(pix);
}
END_TEST

Suite *png_suite(void)
{
    Suite *s = suite_create("png");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, grid_decodes_to_expected_pixels);
    tcase_add_test(core, scatter_places_and_colours_points);
    tcase_add_test(core, scatter_single_point_in_middle);
    suite_add_tcase(s, core);
    return s;
}
