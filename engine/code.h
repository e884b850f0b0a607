/* code.h — binary codes of 8 to 128 bits.
 *
 * A code is stored in two 64-bit words. Bit 0 of the code is the most
 * significant bit of w[0]; bit 64 the most significant bit of w[1]; unused
 * low bits are always zero. Written out, a code is big-endian bytes
 * (bits/8 of them: byte 0 holds bits 0..7, bit 0 as its MSB), so LMDB's
 * byte order is numeric order, and as hex the first digit's MSB is bit 0.
 */
#ifndef SH_CODE_H
#define SH_CODE_H

#include <stddef.h>
#include <stdint.h>

#define SH_CODE_MAX_BITS 128

/* Function attribute for the loops that count bits (Hamming distances):
 * GCC builds the function twice, with and without the POPCNT instruction,
 * and the loader picks the one the CPU supports. Baseline x86-64 has no
 * POPCNT, and __builtin_popcountll without it is a bit trick several
 * times slower (measured: an in-memory scan of 1M 64-bit codes). Empty on
 * other compilers and architectures. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SH_POPCOUNT_HOT __attribute__((target_clones("popcnt", "default")))
#else
#define SH_POPCOUNT_HOT
#endif

typedef struct {
    uint64_t w[2];
} sh_code;

/* 1 if bits is in 8..128 and a multiple of 8, else 0. */
int code_bits_valid(int bits);

/* Bit i (0-based) of c: 0 or 1. */
int code_get_bit(const sh_code *c, int i);

/* Sets bit i of c to value (0 or nonzero). */
void code_set_bit(sh_code *c, int i, int value);

/* Number of differing bits. */
int code_hamming(const sh_code *a, const sh_code *b);

/* Writes bits/8 big-endian bytes into out. */
void code_to_bytes(const sh_code *c, int bits, uint8_t *out);

/* Reads bits/8 big-endian bytes. */
sh_code code_from_bytes(const uint8_t *in, int bits);

/* Writes bits/4 lowercase hex digits and a NUL into out (needs bits/4+1). */
void code_to_hex(const sh_code *c, int bits, char *out);

/* Parses exactly bits/4 hex digits (either case). Returns 0, or SH_EINVAL
 * for a wrong length or a non-hex character (out unchanged). */
int code_from_hex(const char *hex, int bits, sh_code *out);

#endif
