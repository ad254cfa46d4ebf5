// watch -- CMD ARGS...: one run of the command per event, the event in its environment (as
// etcdctl watch -- cmd), waited for before the next event is read.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exit_codes.h"
#include "watch_output.h"

extern char** environ;

namespace nestcache::cli {
namespace {

// execve refuses a single environment string past 128 KiB (MAX_ARG_STRLEN).
constexpr std::size_t kMaxEnvValue = 100000;

std::vector<std::string> environment_for(const Event& event, char separator) {
  // Ours replace any the caller had, so no stale NESTCACHE_VALUE reaches a DELETE.
  static const char* const kOurs[] = {
      "NESTCACHE_EVENT=", "NESTCACHE_REVISION=", "NESTCACHE_PATH=",
      "NESTCACHE_VALUE=", "NESTCACHE_FLAGS=",    "NESTCACHE_EXPTIME="};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    bool ours = false;
    for (const char* name : kOurs) ours = ours || std::strncmp(*e, name, std::strlen(name)) == 0;
    if (!ours) env.emplace_back(*e);
  }
  env.push_back("NESTCACHE_EVENT=" + event.name);
  env.push_back("NESTCACHE_REVISION=" + std::to_string(event.revision));
  env.push_back("NESTCACHE_PATH=" + (event.path.empty()
                                         ? std::string(1, separator)
                                         : client::join_path(event.path, separator)));
  if (event.name == "SET") {
    if (event.value.size() <= kMaxEnvValue && event.value.find('\0') == std::string::npos) {
      env.push_back("NESTCACHE_VALUE=" + event.value);
    }
    env.push_back("NESTCACHE_FLAGS=" + std::to_string(event.flags));
  }
  if (event.name == "SET" || event.name == "TOUCH" || event.name == "GRAFT") {
    env.push_back("NESTCACHE_EXPTIME=" + std::to_string(event.exptime));
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Writes `bytes` to the child's standard input; stops quietly when it does not read them all.
void feed(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // EPIPE: the command exited or closed its input
    }
  }
}

}  // namespace

int run_for_event(const std::vector<std::string>& command, const Event& event, char separator) {
  // A command that leaves its input unread must not kill us (SIGPIPE); it gets the default back.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    throw Failure{kExitUsage, std::string("pipe: ") + std::strerror(errno)};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv = command;
  std::vector<std::string> env = environment_for(event, separator);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, pointers(argv).data(),
                              pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  if (rc != 0) {
    ::close(in[1]);
    throw Failure{kExitUsage, "cannot run '" + argv[0] + "': " + std::strerror(rc)};
  }
  if (event.name == "SET") feed(in[1], event.value);
  ::close(in[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace nestcache::cli
