package player

/*
#cgo pkg-config: alsa
#include <alsa/asoundlib.h>

// silent drops ALSA's own diagnostics ("ALSA lib confmisc.c:855 cannot
// find card '0'" and the like), which it prints to stderr on its own; the
// speaker output reports a failure once, with a fix, instead.
static void silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static void quiet_alsa(void) { snd_lib_error_set_handler(silent); }
*/
import "C"

// quietALSA stops libasound from printing to stderr.
func quietALSA() { C.quiet_alsa() }
