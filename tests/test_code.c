/* test_code.c — bit order, byte and hex round trips, Hamming distance. */
#include <check.h>
#include <string.h>

#include "code.h"
#include "rng.h"
#include "sh_error.h"

START_TEST(bit_zero_is_msb_of_first_byte_and_hex_digit)
{
    sh_code c = { { 0, 0 } };
    code_set_bit(&c, 0, 1);
    uint8_t bytes[16];
    code_to_bytes(&c, 16, bytes);
    ck_assert_uint_eq(bytes[0], 0x80);
    ck_assert_uint_eq(bytes[1], 0x00);
    char hex[33];
    code_to_hex(&c, 16, hex);
    ck_assert_str_eq(hex, "8000");
    code_set_bit(&c, 15, 1);
    code_set_bit(&c, 64, 1);
    code_to_hex(&c, 72, hex);
    ck_assert_str_eq(hex, "800100000000000080");
    ck_assert_int_eq(code_get_bit(&c, 15), 1);
    ck_assert_int_eq(code_get_bit(&c, 14), 0);
    code_set_bit(&c, 15, 0);
    ck_assert_int_eq(code_get_bit(&c, 15), 0);
}
END_TEST

START_TEST(round_trips_and_hamming_match_bitwise_count)
{
    sh_rng rng;
    rng_seed(&rng, 11);
    for (int bits = 8; bits <= 128; bits += 8) {
        for (int trial = 0; trial < 50; trial++) {
            sh_code a = { { 0, 0 } }, b = { { 0, 0 } };
            int expected = 0;
            for (int i = 0; i < bits; i++) {
                int x = (int)rng_below(&rng, 2), y = (int)rng_below(&rng, 2);
                code_set_bit(&a, i, x);
                code_set_bit(&b, i, y);
                expected += x != y;
            }
            ck_assert_int_eq(code_hamming(&a, &b), expected);
            uint8_t bytes[16];
            code_to_bytes(&a, bits, bytes);
            sh_code back = code_from_bytes(bytes, bits);
            ck_assert(memcmp(&back, &a, sizeof a) == 0);
            char hex[33];
            code_to_hex(&a, bits, hex);
            ck_assert_uint_eq(strlen(hex), (size_t)bits / 4);
            sh_code parsed;
            ck_assert_int_eq(code_from_hex(hex, bits, &parsed), 0);
            ck_assert(memcmp(&parsed, &a, sizeof a) == 0);
        }
    }
}
END_TEST

START_TEST(bad_hex_and_widths_are_rejected)
{
    sh_code c = { { 1, 2 } };
    ck_assert_int_eq(code_from_hex("abc", 16, &c), SH_EINVAL);
    ck_assert_int_eq(code_from_hex("zz00", 16, &c), SH_EINVAL);
    ck_assert_int_eq(code_from_hex("00", 12, &c), SH_EINVAL);
    ck_assert_uint_eq(c.w[0], 1);
    ck_assert(!code_bits_valid(0));
    ck_assert(!code_bits_valid(12));
    ck_assert(!code_bits_valid(136));
    ck_assert(code_bits_valid(8) && code_bits_valid(128));
}
END_TEST

Suite *code_suite(void)
{
    Suite *s = suite_create("code");
    TCase *core = tcase_create("core");
    tcase_add_test(core, bit_zero_is_msb_of_first_byte_and_hex_digit);
    tcase_add_test(core, round_trips_and_hamming_match_bitwise_count);
    tcase_add_test(core, bad_hex_and_widths_are_rejected);
    suite_add_tcase(s, core);
    return s;
}
