// spin --size N | --rows R --cols C [--seed S]: burns CPU time (its own, so sharing a core
// slows it as it would a real task) growing with the parameters: N/2 ms, or R*C/100 ms.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char** argv) {
  double ms = 0, rows = 0, cols = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--size")) ms = 0.5 * atof(argv[i + 1]);
    if (!strcmp(argv[i], "--rows")) rows = atof(argv[i + 1]);
    if (!strcmp(argv[i], "--cols")) cols = atof(argv[i + 1]);
  }
  if (rows > 0) ms = rows * cols / 100.0;
  const double end = cpu() + ms / 1000;
  volatile double x = 0;
  while (cpu() < end)
    for (int k = 0; k < 1000; ++k) x += k;
  printf("%s %s\n", argc > 2 ? argv[2] : "", argc > 4 ? argv[4] : "");
  return 0;
}
