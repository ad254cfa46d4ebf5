// The LRU of one shard's valued nodes: an intrusive list through the nodes' value slots, most
// recently used at the head, the next to evict at the tail.
#pragma once

#include "entry.h"

namespace nestcache {

// A write moves a node to the head; a read only marks it referenced (Entry::mark_read), and the
// evictor gives a referenced node at the tail one more pass instead of evicting it (second
// chance: Tree::Shard::shrink, pinned by EvictionTest.AReadIsASecondChanceNotImmunity). Guarded
// by the shard's mutex; holds pointers to the shard's nodes, never owns them.
class Lru {
 public:
  // The next node to evict (the least recently used), or nullptr when empty.
  Entry* coldest() const { return tail_; }
  // The most recently used node, or nullptr when empty.
  Entry* hottest() const { return head_; }

  // Links `node` (it has a value slot and is not linked) at the head, not referenced.
  void link(Entry* node) {
    node->set_referenced(false);
    node->set_lru_prev(nullptr);
    node->set_lru_next(head_);
    if (head_ != nullptr) head_->set_lru_prev(node);
    head_ = node;
    if (tail_ == nullptr) tail_ = node;
  }

  // Takes `node` out of the list; nothing happens if it is not linked (or has no value slot).
  void unlink(Entry* node) {
    Entry* prev = node->lru_prev();
    Entry* next = node->lru_next();
    if (prev == nullptr && head_ != node) return;
    if (prev != nullptr) {
      prev->set_lru_next(next);
    } else {
      head_ = next;
    }
    if (next != nullptr) {
      next->set_lru_prev(prev);
    } else {
      tail_ = prev;
    }
    node->set_lru_prev(nullptr);
    node->set_lru_next(nullptr);
  }

  // Moves the linked `node` to the head and clears its referenced mark.
  void bump(Entry* node) {
    node->set_referenced(false);
    if (node == head_) return;
    unlink(node);
    link(node);
  }

  // `to`, a copy of `from` with the same links (Entry::copy), takes its place; `from` is about
  // to be freed. A copy without a value slot reads null links and was not linked.
  void moved(const Entry* from, Entry* to) {
    if (to->lru_prev() != nullptr) {
      to->lru_prev()->set_lru_next(to);
    } else if (head_ == from) {
      head_ = to;
    }
    if (to->lru_next() != nullptr) {
      to->lru_next()->set_lru_prev(to);
    } else if (tail_ == from) {
      tail_ = to;
    }
  }

 private:
  Entry* head_ = nullptr;
  Entry* tail_ = nullptr;
};

}  // namespace nestcache
