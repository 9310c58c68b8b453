/* The sshd ForceCommand of the testbed host, in C (installed as /usr/libexec/testbed-session).
 *
 * Same contract as session.py, which it replaces on the hot path: runs
 * `/bin/sh -c "$SSH_ORIGINAL_COMMAND"` (or a login shell without a command) with stdin/stdout/
 * stderr passed straight through, exits with the command's status, and appends one JSON line
 * {"command": ..., "exit": ..., "start": <epoch>, "duration": <s>} to the command log.
 * A real host has no such wrapper; a Python one cost ~20 ms per exec, this one well under 1 ms.
 * When the fault rule file exists (--fail-next and --stall-next rules share it) it hands over
 * to session.py (which owns that logic).
 * Built by `freebsd-testbed up` with the machine's cc; without one, session.py is used as is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_PATH "/var/log/testbed/commands.jsonl"
#define FAIL_NEXT "/run/testbed/fail-next.json"
#define PY_SESSION "/usr/libexec/testbed-session.py"

static int valid_utf8(const unsigned char *s) {
    while (*s) {
        int n = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2 : (*s & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0) return 0;
        s++;
        while (n--) {
            if ((*s & 0xC0) != 0x80) return 0;
            s++;
        }
    }
    return 1;
}

/* JSON string body: like Python's json.dumps of the surrogate-escaped command, except that
 * valid UTF-8 is kept as is (json.loads reads both the same). */
static size_t escape(const unsigned char *s, char *out) {
    int utf8 = valid_utf8(s);
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') { out[o++] = '\\'; out[o++] = (char)c; }
        else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\t') { out[o++] = '\\'; out[o++] = 't'; }
        else if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (c < 0x20 || c == 0x7f) o += (size_t)sprintf(out + o, "\\u%04x", c);
        else if (c >= 0x80 && !utf8) o += (size_t)sprintf(out + o, "\\udc%02x", c);
        else out[o++] = (char)c;
    }
    out[o] = 0;
    return o;
}

int main(int argc, char **argv) {
    (void)argc;
    const char *env = getenv("SSH_ORIGINAL_COMMAND");
    if (env == NULL) {
        execl("/bin/sh", "-sh", (char *)NULL);
        _exit(127);
    }
    if (access(FAIL_NEXT, F_OK) == 0) {
        execv(PY_SESSION, argv);  /* falls through only if the Python session is missing */
    }
    char *cmd = strdup(env);
    if (cmd == NULL) _exit(1);
    unsetenv("SSH_ORIGINAL_COMMAND");
    struct timespec rt, m0, m1;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &m0);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status = 0, code = 1;
    if (pid > 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &m1);
    double start = (double)rt.tv_sec + rt.tv_nsec / 1e9;
    double dur = (double)(m1.tv_sec - m0.tv_sec) + (m1.tv_nsec - m0.tv_nsec) / 1e9;
    size_t len = strlen(cmd);
    char *line = malloc(len * 6 + 128);
    if (line != NULL) {
        size_t o = (size_t)sprintf(line, "{\"command\": \"");
        o += escape((const unsigned char *)cmd, line + o);
        o += (size_t)sprintf(line + o, "\", \"exit\": %d, \"start\": %.6f, \"duration\": %.6f}\n", code, start, dur);
        int fd = open(LOG_PATH, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, line, o);
            (void)w;
            close(fd);
        }
    }
    _exit(code);
}
