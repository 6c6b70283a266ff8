/* Loaded before libfaketime by scripts/test-at-instants.sh.
 *
 * libfaketime 0.9.10 fakes CLOCK_MONOTONIC (shifted like the wall clock) but does not intercept
 * sem_clockwait() or pthread_cond_clockwait(): a deadline computed from the faked monotonic clock then
 * reaches the kernel, which reads the real one, and the wait lasts years (Python 3.11's timed lock
 * acquire, hence threading.Event.wait(timeout), uses sem_clockwait). These wrappers turn such a deadline
 * back into one on the real clock: the time left is measured on the faked clock, then added to the
 * real one. Waits that are not timed are untouched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void real_deadline(clockid_t clock, const struct timespec *fake_abs, struct timespec *out) {
    struct timespec fake_now, real_now;
    clock_gettime(clock, &fake_now);                /* resolved to libfaketime: the faked clock */
    syscall(SYS_clock_gettime, clock, &real_now);   /* the kernel's clock */
    long long left = (long long)(fake_abs->tv_sec - fake_now.tv_sec) * 1000000000LL
                     + (fake_abs->tv_nsec - fake_now.tv_nsec);
    if (left < 0) left = 0;
    long long ns = real_now.tv_nsec + left % 1000000000LL;
    out->tv_sec = real_now.tv_sec + left / 1000000000LL + ns / 1000000000LL;
    out->tv_nsec = ns % 1000000000LL;
}

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    static int (*next)(sem_t *, clockid_t, const struct timespec *);
    if (!next) next = dlsym(RTLD_NEXT, "sem_clockwait");
    struct timespec real;
    real_deadline(clock, abstime, &real);
    return next(sem, clock, &real);
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                           const struct timespec *abstime) {
    static int (*next)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
    if (!next) next = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
    struct timespec real;
    real_deadline(clock, abstime, &real);
    return next(cond, mutex, clock, &real);
}
