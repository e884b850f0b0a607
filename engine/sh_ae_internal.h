/* sh_ae_internal.h — the handle behind semhash_ae.h, shared by its two
 * implementation files (sh_ae.c: opening, saving, using; sh_ae_train.c:
 * training). Not installed. */
#ifndef SH_AE_INTERNAL_H
#define SH_AE_INTERNAL_H

#include "ae_blade_model.h"
#include "semhash_ae.h"

struct sh_ae {
    ae_blade_model model;  /* owned */
    char name[256];        /* the file it was opened from, or "trained model": for messages */
};

/* A new handle owning *model (which is zeroed), named name (cut to fit).
 * Returns NULL on ENOMEM, with *model freed. */
sh_ae *sh_ae_wrap(ae_blade_model *model, const char *name);

#endif
