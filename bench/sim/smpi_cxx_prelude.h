// Force-include for C++ sources built for SMPI: keeps SMPI's
// sleep/usleep/nanosleep/gettimeofday/clock_gettime/getpid interception but removes the
// function-like macros that break C++ code (CLI::App::exit, member free(), ...).
#include <smpi/smpi_helpers.h>
#undef exit
#undef malloc
#undef calloc
#undef realloc
#undef free
