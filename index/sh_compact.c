/* sh_compact.c — maintenance: sh_compact (the public face of idx_compact)
 * and sh_doc_count, which tells a caller when compacting is worth it.
 * See semhash.h. */
#include "idx_compact.h"
#include "sh_internal.h"

int sh_compact(sh_index *sh, char *err, size_t err_len)
{
    if (sh->ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", sh->ix->path);
    pthread_mutex_lock(&sh->write_lock);
    int rc;
    if (sh->bulk) /* a bulk load builds the tables in key order already */
        rc = sh_bulk_end_locked(sh, err, err_len);
    else if ((rc = idx_commit(sh->ix, err, err_len)) == 0)
        rc = idx_compact(sh->ix, NULL, NULL, err, err_len);
    if (rc == 0)
        rc = sh_flush_nosync(sh, err, err_len);
    pthread_mutex_unlock(&sh->write_lock);
    return rc;
}

int sh_doc_count(sh_index *sh, uint64_t *n, char *err, size_t err_len)
{
    sh_reader *r;
    *n = 0;
    int rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        return rc;
    *n = idx_reader_doc_count(r->rd);
    sh_reader_give(sh, r);
    return 0;
}
