#pragma once
// The database transaction a plugin callback works in, guarded so that a
// callback still running after its deadline can never touch it again: the
// request thread takes the mutex (waiting out a statement in progress, which
// statement_timeout bounds), marks the slot abandoned and only then rolls
// back. Every host database call takes the mutex and checks the mark.

#include <pqxx/pqxx>

#include <mutex>

namespace fk::plugins {

struct TransactionSlot {
  explicit TransactionSlot(pqxx::transaction_base* work_) : work(work_) {}
  std::mutex mutex;
  pqxx::transaction_base* work;  // nullptr once abandoned
  bool failed = false;           // a statement failed: the transaction is aborted
};

}  // namespace fk::plugins
