// One client's watch of a subtree (watchtree): the events it has yet to send, and how it ends.
// Made by WatchHub::open; the session that owns it takes its events with take() whenever the
// hub wakes it, and closes it when the client goes.
//
// Threads: the hub fills it from the writers' threads, under the hub's lock; take(), set_waker()
// and close() are the owner's, from its own thread, and take that lock too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nestcache {

class WatchHub;
struct WatchEvent;

class Watch {
 public:
  // What take() left for the stream.
  enum class Step : uint8_t {
    idle,   // nothing more for now: wait for the waker
    more,   // more is ready (take again once `out` is sent)
    ended,  // `out` ends with the stream's last line (COMPACTED or CANCELED): close after it
  };

  Watch(WatchHub& hub, std::vector<std::string> path, uint64_t after);
  ~Watch();  // closes it (the hub must outlive it)
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // Appends the events waiting (stopping once `out` holds about `max` bytes), a PROGRESS line
  // when one is due and nothing else is waiting, or the line that ends the stream.
  Step take(std::string& out, std::size_t max);
  // `wake` is called (from any thread, under the hub's lock: it must only post, never call the
  // hub) once events wait and no wake is pending since the last take(). Before it is set,
  // nothing wakes the owner.
  void set_waker(std::function<void()> wake);
  // Stops the watch; the hub forgets it. Idempotent.
  void close();

  const std::vector<std::string>& path() const { return path_; }

 private:
  friend class WatchHub;
  enum class State : uint8_t {
    catching_up,  // reading the history after `after_` (a resume), not yet fed by the hub
    live,         // fed by the hub as events are released
    canceled,     // its queue overflowed: CANCELED <after_> slow consumer is next
    closed,
  };
  // Queues `event` (hub's lock held); false when events already waiting and this one come to
  // more than `limit` bytes (the watch is then canceled). One event alone always fits.
  bool push(std::shared_ptr<const WatchEvent> event, std::size_t limit);
  void wake();

  WatchHub& hub_;
  const std::vector<std::string> path_;
  // Everything this watch concerns up to this revision has been taken (or it is the revision
  // resumed from): the resume point it reports.
  uint64_t after_;
  State state_ = State::catching_up;
  bool wake_pending_ = false;
  bool progress_due_ = false;
  int64_t last_sent_ = 0;  // when take() last gave something (the hub's clock)
  std::vector<std::shared_ptr<const WatchEvent>> queue_;
  std::size_t queue_head_ = 0;  // the first not yet taken
  std::size_t queued_bytes_ = 0;
  std::function<void()> waker_;
};

}  // namespace nestcache
