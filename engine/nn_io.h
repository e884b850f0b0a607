/* nn_io.h — saving and loading a network through the model-file
 * container (modelfile.h).
 *
 * A network is two sections, tagged with a slot character so several
 * networks fit in one model (one per class for the classifier):
 *   config  'N','C',slot,'1': section version u32, the nn_config fields
 *           (u32 and f32, in declaration order), then the layer count and
 *           every layer's (in, out) as u64, then the parameter count u64;
 *   params  'N','P',slot,'1': the parameter arena, n_params f32
 *           little-endian (one write).
 * Adam moments and activations are not saved. Loading rebuilds the
 * network from the stored config, checks the stored shapes and counts
 * against it and copies the arena: any disagreement, unknown value or
 * short section is SH_EMODEL with a message naming the model's label, and
 * never a crash.
 */
#ifndef SH_NN_IO_H
#define SH_NN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "modelfile.h"
#include "nn_net.h"

#define NN_TAG_CONFIG(slot) MF_TAG('N', 'C', (slot), '1')
#define NN_TAG_PARAMS(slot) MF_TAG('N', 'P', (slot), '1')

/* Appends the two sections of net to w under slot (any byte; '0' for a
 * lone network). Returns 0, SH_ENOMEM or SH_EINVAL (w has an open
 * section). */
int nn_save_sections(const nn_net *net, mf_writer *w, char slot);

/* Rebuilds the network stored under slot in m. max_batch 0 keeps the
 * stored activation size, otherwise overrides it. inference_only builds
 * the net without gradient and Adam arenas (see nn_clone): what an index
 * or a query needs. Returns 0 and *out (free with nn_free); SH_EMODEL
 * (sections missing, malformed or disagreeing shapes; message in err);
 * SH_ENOMEM. *out is unchanged on failure. */
int nn_load_sections(const mf_model *m, char slot, uint32_t max_batch, int inference_only,
                     nn_net **out, char *err, size_t err_len);

/* A model file of kind MF_KIND_AUTOENCODER holding net in slot '0',
 * written atomically. Returns 0, SH_ENOMEM or an errno value / code from
 * mf_writer_save, with the path in err. */
int nn_save_file(const nn_net *net, const char *path, char *err, size_t err_len);

/* Reads a file written by nn_save_file. Returns 0 and *out, the
 * container's errors (SH_EFORMAT, SH_EVERSION, SH_ETRUNC, SH_ECHECKSUM,
 * errno), SH_EMODEL (another model kind, or as nn_load_sections) or
 * SH_ENOMEM, with the path in err. */
int nn_load_file(const char *path, uint32_t max_batch, int inference_only, nn_net **out,
                 char *err, size_t err_len);

#endif
