#include "nestcache/watch/watch_hub.h"

#include <algorithm>
#include <chrono>

#include "history.h"
#include "nestcache/common/numbers.h"
#include "nestcache/tree/tree.h"
#include "watch_event.h"
#include "watch_index.h"

namespace nestcache {
namespace {

// A catching-up watch looks at no more than this many history events per take(), so that one
// resume does not hold the hub's lock for long.
constexpr std::size_t kScanPerTake = 4096;

void append_line(std::string& out, std::string_view word, uint64_t revision,
                 std::string_view tail = {}) {
  out += word;
  out += ' ';
  append_decimal(out, revision);
  out += tail;
  out += "\r\n";
}

// Whether `event` changes something in the subtree at `path`: it is at or below it, it removes
// an ancestor of it (with its subtree), or it is a flush.
bool concerns(const std::vector<std::string>& path, const WatchEvent& event) {
  if (event.kind == WatchEventKind::flush) return true;
  std::string_view rest = event.path();
  std::size_t depth = 0;
  for (; depth < path.size() && !rest.empty(); ++depth) {
    const std::size_t space = rest.find(' ');
    std::string_view segment = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    // A graft's staged sibling went into the target: a watch at or below it is concerned.
    if (event.kind == WatchEventKind::graft && rest.empty() && path[depth] == event.staged()) {
      segment = event.staged();
    }
    if (segment != path[depth]) return false;
  }
  // The event's path is at or below the watched one, or above it and takes it along.
  return depth == path.size() || event.removes_subtree();
}

// Where revisions go on from when watching starts: the wall clock in microseconds, above every
// revision an earlier run of the server can have handed out (unless that run averaged more than
// a million changes a second since it started), so that a watch resumed across a restart from
// one of them is told COMPACTED rather than matched against this run's numbers. Never 0 (a
// watch's revision 0 means "from now"), and below 2^54 (the meta protocol's cas values) until
// the year 2540.
uint64_t epoch() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::max<uint64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

}  // namespace

WatchHub::WatchHub(Tree& tree, const Clock& clock, WatchOptions options)
    : tree_(tree),
      clock_(clock),
      options_(options),
      history_(std::make_unique<History>(options.history_bytes, 0)),
      index_(std::make_unique<WatchIndex>()) {}

WatchHub::~WatchHub() = default;

WatchHub::Opened WatchHub::open(const Path& path, uint64_t from) {
  if (!attached_.load(std::memory_order_acquire)) {
    std::lock_guard once(attach_mu_);
    if (!attached_.load(std::memory_order_relaxed)) {
      tree_.attach_watcher(this, epoch(), [this](uint64_t last) {
        std::lock_guard lock(mu_);
        head_ = last + 1;
        history_ = std::make_unique<History>(options_.history_bytes, last);
      });
      attached_.store(true, std::memory_order_release);
    }
  }
  const uint64_t last_taken = tree_.last_cas();
  std::lock_guard lock(mu_);
  const uint64_t released = head_ - 1;
  if (from > last_taken) return {Opened::Status::future, last_taken, nullptr};
  if (from != 0 && from < history_->floor()) {
    ++compacted_;
    return {Opened::Status::compacted, history_->floor(), nullptr};
  }
  auto watch = std::make_shared<Watch>(*this, std::vector<std::string>(path.begin(), path.end()),
                                       from == 0 ? released : from);
  // A resume from before the last released revision first reads the history.
  watch->state_ = from != 0 && from < released ? Watch::State::catching_up : Watch::State::live;
  watch->last_sent_ = clock_.now();
  index_->add(watch.get(), watch->path_);
  watches_.insert(watch.get());
  return {Opened::Status::watching, released, std::move(watch)};
}

void WatchHub::on_change(const Change& change) {
  if (change.kind == ChangeKind::flush_pending || change.kind == ChangeKind::memory_limit) {
    return;  // they take no revision: nothing has changed yet
  }
  std::shared_ptr<const WatchEvent> event = make_watch_event(change);  // before the lock
  std::lock_guard lock(mu_);
  settle(change.cas, std::move(event));
}

void WatchHub::settle(uint64_t revision, std::shared_ptr<const WatchEvent> event) {
  if (revision < head_) return;  // taken before the hub attached: never reported to it
  const std::size_t slot = revision - head_;
  if (slot >= pending_.size()) pending_.resize(slot + 1);
  pending_[slot] = Slot{true, std::move(event)};
  while (!pending_.empty() && pending_.front().settled) {
    std::shared_ptr<const WatchEvent> next = std::move(pending_.front().event);
    pending_.pop_front();
    ++head_;
    if (next != nullptr) release(std::move(next));
  }
}

void WatchHub::release(std::shared_ptr<const WatchEvent> event) {
  history_->add(event);
  matched_.clear();
  index_->match(*event, matched_);
  for (Watch* watch : matched_) {
    if (watch->state_ != Watch::State::live || event->revision <= watch->after_) continue;
    if (!watch->push(event, options_.queue_bytes)) ++canceled_slow_;
    watch->wake();
  }
}

Watch::Step WatchHub::take(Watch& watch, std::string& out, std::size_t max) {
  std::lock_guard lock(mu_);
  watch.wake_pending_ = false;
  const std::size_t start = out.size();
  switch (watch.state_) {
    case Watch::State::closed:
      return Watch::Step::ended;
    case Watch::State::canceled:
      append_line(out, "CANCELED", watch.after_, " slow consumer");
      forget(watch);
      return Watch::Step::ended;
    case Watch::State::catching_up: {
      if (watch.after_ < history_->floor()) {
        // What it has yet to read is gone: say where the history starts now.
        append_line(out, "COMPACTED", history_->floor());
        ++compacted_;
        forget(watch);
        return Watch::Step::ended;
      }
      std::size_t i = history_->first_after(watch.after_);
      const std::size_t stop = std::min(history_->size(), i + kScanPerTake);
      for (; i < stop && out.size() < max; ++i) {
        const WatchEvent& event = *history_->at(i);
        if (concerns(watch.path_, event)) {
          out += event.wire;
          ++events_sent_;
        }
        watch.after_ = event.revision;
      }
      if (out.size() > start) watch.last_sent_ = clock_.now();
      if (i < history_->size()) return Watch::Step::more;
      // Caught up: every released change is read, and the hub feeds it from now on.
      watch.after_ = std::max(watch.after_, head_ - 1);
      watch.state_ = Watch::State::live;
      return out.size() > start ? Watch::Step::more : Watch::Step::idle;
    }
    case Watch::State::live:
      break;
  }
  auto& queue = watch.queue_;
  while (watch.queue_head_ < queue.size() && out.size() < max) {
    std::shared_ptr<const WatchEvent>& event = queue[watch.queue_head_++];
    out += event->wire;
    watch.after_ = event->revision;
    watch.queued_bytes_ -= event->wire.size();
    ++events_sent_;
    event.reset();
  }
  const bool more = watch.queue_head_ < queue.size();
  if (!more) {
    queue.clear();
    watch.queue_head_ = 0;
    if (queue.capacity() > 64) queue.shrink_to_fit();  // an idle watch holds little
  } else if (watch.queue_head_ > 1024 && 2 * watch.queue_head_ > queue.size()) {
    queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(watch.queue_head_));
    watch.queue_head_ = 0;
  }
  if (!more && watch.progress_due_) {
    append_line(out, "PROGRESS", std::max(watch.after_, head_ - 1));
    watch.progress_due_ = false;
  }
  if (out.size() > start) watch.last_sent_ = clock_.now();
  return more ? Watch::Step::more : Watch::Step::idle;
}

void WatchHub::forget(Watch& watch) {
  index_->remove(&watch, watch.path_);
  watches_.erase(&watch);
  watch.state_ = Watch::State::closed;
}

void WatchHub::close(Watch& watch) {
  std::lock_guard lock(mu_);
  if (watch.state_ == Watch::State::closed) return;
  forget(watch);
  watch.waker_ = nullptr;
}

void WatchHub::tick() {
  if (options_.progress_seconds <= 0) return;
  const int64_t now = clock_.now();
  std::lock_guard lock(mu_);
  for (Watch* watch : watches_) {
    if (watch->state_ != Watch::State::live || watch->progress_due_) continue;
    if (watch->queue_head_ < watch->queue_.size()) continue;
    if (now - watch->last_sent_ < options_.progress_seconds) continue;
    watch->progress_due_ = true;
    watch->wake();
  }
}

WatchStats WatchHub::stats() const {
  std::lock_guard lock(mu_);
  WatchStats stats;
  stats.watchers = watches_.size();
  stats.events_sent = events_sent_;
  stats.canceled_slow = canceled_slow_;
  stats.compacted = compacted_;
  stats.history_events = history_->size();
  stats.history_bytes = history_->bytes();
  stats.history_floor = history_->floor();
  return stats;
}

}  // namespace nestcache
