// A worker's open connections in order of last activity, least recent first. Activity moves a
// connection to the back in O(1) (a few pointer writes, no allocation), so the front is always
// the next one whose idle time runs out, and no other connection is looked at before then
// (idle_timeout.h).
#pragma once

#include <chrono>

namespace nestcache {

class Connection;

class IdleList {
 public:
  using Clock = std::chrono::steady_clock;

  // A connection's last activity and its place in a list; it leaves the list when destroyed.
  class Link {
   public:
    Link(Connection* owner, Clock::time_point now) : owner_(owner), last_active_(now) {}
    ~Link() { leave(); }
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;

    // Records activity at `now` and, in a list, moves to its back.
    void touch(Clock::time_point now) {
      last_active_ = now;
      if (list_ != nullptr && next_ != &list_->head_) {
        unlink();
        list_->link_back(*this);
      }
    }
    // Leaves its list, if it is in one.
    void leave() {
      if (list_ == nullptr) return;
      unlink();
      list_ = nullptr;
    }
    bool linked() const { return list_ != nullptr; }
    Clock::time_point last_active() const { return last_active_; }
    Connection* owner() const { return owner_; }

   private:
    friend class IdleList;  // the list and its links are one structure
    void unlink() {
      prev_->next_ = next_;
      next_->prev_ = prev_;
      prev_ = next_ = this;
    }

    Connection* owner_;  // null for a list's head
    IdleList* list_ = nullptr;
    Link* prev_ = this;
    Link* next_ = this;
    Clock::time_point last_active_;
  };

  IdleList() = default;
  // Every link still in the list leaves it.
  ~IdleList() {
    while (Link* link = front()) link->leave();
  }
  IdleList(const IdleList&) = delete;
  IdleList& operator=(const IdleList&) = delete;

  // Adds `link`, which is in no list, at the back with `now` as its last activity.
  void push_back(Link& link, Clock::time_point now) {
    link.last_active_ = now;
    link_back(link);
  }
  // The least recently active link, or null when the list is empty.
  Link* front() const { return head_.next_ == &head_ ? nullptr : head_.next_; }
  bool empty() const { return head_.next_ == &head_; }

 private:
  void link_back(Link& link) {
    link.list_ = this;
    link.prev_ = head_.prev_;
    link.next_ = &head_;
    head_.prev_->next_ = &link;
    head_.prev_ = &link;
  }

  Link head_{nullptr, {}};
};

}  // namespace nestcache
