/* code.c — binary codes. See code.h. */
#include "code.h"
#include "sh_error.h"

#include <string.h>

int code_bits_valid(int bits)
{
    return bits >= 8 && bits <= SH_CODE_MAX_BITS && bits % 8 == 0;
}

int code_get_bit(const sh_code *c, int i)
{
    return (int)((c->w[i >> 6] >> (63 - (i & 63))) & 1u);
}

void code_set_bit(sh_code *c, int i, int value)
{
    uint64_t mask = (uint64_t)1 << (63 - (i & 63));
    if (value)
        c->w[i >> 6] |= mask;
    else
        c->w[i >> 6] &= ~mask;
}

SH_POPCOUNT_HOT int code_hamming(const sh_code *a, const sh_code *b)
{
    return __builtin_popcountll(a->w[0] ^ b->w[0]) + __builtin_popcountll(a->w[1] ^ b->w[1]);
}

void code_to_bytes(const sh_code *c, int bits, uint8_t *out)
{
    for (int i = 0; i < bits / 8; i++)
        out[i] = (uint8_t)(c->w[i >> 3] >> (56 - 8 * (i & 7)));
}

sh_code code_from_bytes(const uint8_t *in, int bits)
{
    sh_code c = { { 0, 0 } };
    for (int i = 0; i < bits / 8; i++)
        c.w[i >> 3] |= (uint64_t)in[i] << (56 - 8 * (i & 7));
    return c;
}

void code_to_hex(const sh_code *c, int bits, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < bits / 4; i++) {
        int nibble = (int)((c->w[i >> 4] >> (60 - 4 * (i & 15))) & 15u);
        out[i] = digits[nibble];
    }
    out[bits / 4] = '\0';
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int code_from_hex(const char *hex, int bits, sh_code *out)
{
    if (!code_bits_valid(bits) || strlen(hex) != (size_t)(bits / 4))
        return SH_EINVAL;
    sh_code c = { { 0, 0 } };
    for (int i = 0; i < bits / 4; i++) {
        int v = hex_value(hex[i]);
        if (v < 0)
            return SH_EINVAL;
        c.w[i >> 4] |= (uint64_t)v << (60 - 4 * (i & 15));
    }
    *out = c;
    return 0;
}
