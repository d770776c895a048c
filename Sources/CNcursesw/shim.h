#ifndef PORTTI_CNCURSESW_SHIM_H
#define PORTTI_CNCURSESW_SHIM_H

/* SwiftPM drops the .pc file's -D_XOPEN_SOURCE, so the wide-character API must be asked for here. */
#define NCURSES_WIDECHAR 1

#include <ncursesw/curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

/* glibc hides wcwidth from Swift without _XOPEN_SOURCE. */
extern int wcwidth(wchar_t);

/* Macros do not bridge to Swift; these wrap them. */
static inline WINDOW *portti_stdscr(void) { return stdscr; }
static inline int portti_lines(void) { return LINES; }
static inline int portti_columns(void) { return COLS; }
static inline attr_t portti_color_pair(int pair) { return (attr_t)COLOR_PAIR(pair); }
static inline attr_t portti_attr_normal(void) { return A_NORMAL; }
static inline attr_t portti_attr_bold(void) { return A_BOLD; }
static inline attr_t portti_attr_reverse(void) { return A_REVERSE; }
static inline attr_t portti_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t portti_attr_dim(void) { return A_DIM; }
static inline int portti_key_code_yes(void) { return KEY_CODE_YES; }
static inline int portti_err(void) { return ERR; }
static inline mmask_t portti_mouse_events(void) {
    return BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON3_PRESSED
         | BUTTON4_PRESSED | BUTTON5_PRESSED;
}
static inline int portti_mouse_is_wheel_up(mmask_t s) { return (s & BUTTON4_PRESSED) != 0; }
static inline int portti_mouse_is_wheel_down(mmask_t s) { return (s & BUTTON5_PRESSED) != 0; }
static inline int portti_mouse_is_left_press(mmask_t s) { return (s & (BUTTON1_PRESSED | BUTTON1_CLICKED)) != 0; }
static inline int portti_mouse_is_left_release(mmask_t s) { return (s & BUTTON1_RELEASED) != 0; }
static inline int portti_mouse_is_right_press(mmask_t s) { return (s & BUTTON3_PRESSED) != 0; }
static inline int portti_key_f0(void) { return KEY_F0; }

/* The locale decides how ncurses reads and draws characters. A named UTF-8 locale that is not installed
   (only C.UTF-8 is, on many machines) falls back to C.UTF-8: the user's terminal speaks UTF-8. A locale that
   is there and not UTF-8 (LANG=C, POSIX, Latin-1) is kept: its terminal may not read UTF-8, so the program
   draws ASCII and the terminal's own line drawing there. Answers 1 for UTF-8, 0 for the kept other one. */
static inline int portti_setup_utf8_locale(void) {
    const char *chosen = setlocale(LC_ALL, "");
    if (chosen == NULL) { return setlocale(LC_ALL, "C.UTF-8") != NULL; }
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* A line-drawing character of the terminal's alternate set, by its VT100 letter (q ─, x │, l ┌, k ┐, m └, j ┘,
   t ├, u ┤, w ┬, v ┴, n ┼): what ncurses itself draws boxes with where the locale is not UTF-8. */
static inline chtype portti_acs(char letter) { return NCURSES_ACS(letter); }

/* Signal handling must be async-signal-safe, so it is plain C with state private to this header. The quit
   signals only wake the terminal thread, which restores the terminal itself; a crash signal restores the
   tty settings and modes directly (write and tcsetattr are safe in a handler), then re-raises. */
/* Function-local statics: Swift's importer emits these functions but not file-scope variables. */
struct portti_signal_state {
    struct termios saved_termios;
    volatile sig_atomic_t have_termios;
    volatile sig_atomic_t pending_signal;
    volatile int wake_fd;
    struct sigaction ncurses_winch;
    volatile sig_atomic_t have_ncurses_winch;
};
static inline struct portti_signal_state *portti_state(void) {
    static struct portti_signal_state state = { .have_termios = 0, .pending_signal = 0, .wake_fd = -1 };
    return &state;
}
#define PORTTI_RESET_SEQUENCE "\033[?2004l\033[?1006l\033[?1002l\033[?1000l\033[0m\033[?25h\033[?1049l\r\n"

static void portti_on_quit_signal(int signal_number) {
    portti_state()->pending_signal = signal_number;
    if (portti_state()->wake_fd >= 0) { char byte = 1; ssize_t ignored = write(portti_state()->wake_fd, &byte, 1); (void)ignored; }
}

/* ncurses owns SIGWINCH (it turns it into KEY_RESIZE), but the signal may land on any thread and so
   not interrupt the terminal thread's poll(): wake it through the pipe, then let ncurses' handler run. */
static void portti_on_window_change(int signal_number) {
    struct portti_signal_state *state = portti_state();
    if (state->have_ncurses_winch && state->ncurses_winch.sa_handler != SIG_DFL && state->ncurses_winch.sa_handler != SIG_IGN) {
        state->ncurses_winch.sa_handler(signal_number);
    }
    if (state->wake_fd >= 0) { char byte = 2; ssize_t ignored = write(state->wake_fd, &byte, 1); (void)ignored; }
}

static void portti_on_crash_signal(int signal_number) {
    if (portti_state()->have_termios) { tcsetattr(STDIN_FILENO, TCSANOW, &portti_state()->saved_termios); }
    ssize_t ignored = write(STDOUT_FILENO, PORTTI_RESET_SEQUENCE, sizeof PORTTI_RESET_SEQUENCE - 1);
    (void)ignored;
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

static inline void portti_save_termios(void) {
    if (tcgetattr(STDIN_FILENO, &portti_state()->saved_termios) == 0) { portti_state()->have_termios = 1; }
}

static inline void portti_install_signal_handlers(int wake_fd) {
    portti_state()->wake_fd = wake_fd;
    portti_state()->pending_signal = 0;
    struct sigaction quit_action;
    memset(&quit_action, 0, sizeof quit_action);
    quit_action.sa_handler = portti_on_quit_signal;
    sigemptyset(&quit_action.sa_mask);
    sigaction(SIGINT, &quit_action, NULL);
    sigaction(SIGTERM, &quit_action, NULL);
    sigaction(SIGHUP, &quit_action, NULL);
    sigaction(SIGQUIT, &quit_action, NULL);
    struct sigaction crash_action;
    memset(&crash_action, 0, sizeof crash_action);
    crash_action.sa_handler = portti_on_crash_signal;
    sigemptyset(&crash_action.sa_mask);
    sigaction(SIGSEGV, &crash_action, NULL);
    sigaction(SIGABRT, &crash_action, NULL);
    sigaction(SIGBUS, &crash_action, NULL);
    sigaction(SIGILL, &crash_action, NULL);
    sigaction(SIGFPE, &crash_action, NULL);
    sigaction(SIGTRAP, &crash_action, NULL);
    struct sigaction winch_action;
    memset(&winch_action, 0, sizeof winch_action);
    winch_action.sa_handler = portti_on_window_change;
    sigemptyset(&winch_action.sa_mask);
    if (sigaction(SIGWINCH, &winch_action, &portti_state()->ncurses_winch) == 0) { portti_state()->have_ncurses_winch = 1; }
}

/* SIGINT back to Portti after the terminal was lent out (it was ignored meanwhile). */
static inline void portti_take_back_interrupt(void) {
    struct sigaction quit_action;
    memset(&quit_action, 0, sizeof quit_action);
    quit_action.sa_handler = portti_on_quit_signal;
    sigemptyset(&quit_action.sa_mask);
    sigaction(SIGINT, &quit_action, NULL);
    portti_state()->pending_signal = 0;
}

static inline void portti_restore_signal_handlers(void) {
    int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) { signal(signals[i], SIG_DFL); }
    if (portti_state()->have_ncurses_winch) { sigaction(SIGWINCH, &portti_state()->ncurses_winch, NULL); }
    portti_state()->have_ncurses_winch = 0;
    portti_state()->wake_fd = -1;
}

static inline int portti_take_pending_signal(void) {
    int value = portti_state()->pending_signal;
    portti_state()->pending_signal = 0;
    return value;
}

/* Bracketed paste and SGR mouse are not terminfo capabilities: their modes are written directly. */
static inline void portti_write_modes(int enable) {
    const char *on = "\033[?2004h";
    const char *off = "\033[?2004l";
    const char *text = enable ? on : off;
    ssize_t ignored = write(STDOUT_FILENO, text, strlen(text));
    (void)ignored;
}

#endif
