// bench/audit_cost.cpp: what the audit append costs a write (docs/performance.md,
// "Audit cost"). The same transaction as PUT /v1/tenant/settings
// (db::TenantTransaction, settings::update_settings, commit) is run with and
// without the audit append the pipeline sends with the commit, against a real
// PostgreSQL, in alternating rounds of the same run so machine load affects
// both sides alike. No HTTP: only the database work differs.
//
//   fk_bench_audit_cost [--database-url URL --runtime-database-url URL]
//                       [--ops N] [--rounds R] [--threads T] [--data-dir DIR]
//
// Without URLs it starts the embedded cluster under --data-dir (default
// /tmp/fk-bench-audit/pg), applies the migrations, and stops it at the end.
// --threads T runs T writers; each scenario is measured once with all
// writers on one tenant (one chain head: appends serialise) and once with
// one tenant each.

#include "app/database_setup.hpp"
#include "audit/audit_log.hpp"
#include "db/connection_pool.hpp"
#include "db/tenant_transaction.hpp"
#include "log/json_log.hpp"
#include "settings/tenant_settings.hpp"
#include "tenancy/tenant_admin.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string owner_url;
  std::string runtime_url;
  std::string data_dir = "/tmp/fk-bench-audit/pg";
  int ops = 2000;  // per writer per round
  int rounds = 5;
  int threads = 4;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--database-url")
      options.owner_url = value;
    else if (name == "--runtime-database-url")
      options.runtime_url = value;
    else if (name == "--data-dir")
      options.data_dir = value;
    else if (name == "--ops")
      options.ops = std::stoi(value);
    else if (name == "--rounds")
      options.rounds = std::stoi(value);
    else if (name == "--threads")
      options.threads = std::stoi(value);
    else
      throw std::invalid_argument("unknown option " + name);
  }
  return options;
}

// The record the pipeline appends for a successful PUT /v1/tenant/settings.
fk::audit::AuditRecord settings_record(int i) {
  fk::audit::AuditRecord record;
  record.actor_type = "user";
  record.actor_id = "00000000-0000-4000-8000-000000000001";
  record.action = "http.PUT /v1/tenant/settings";
  record.resource = "/v1/tenant/settings";
  record.request_id = "bench-" + std::to_string(i);
  record.client_address = "127.0.0.1";
  record.summary = {{"status", 200}};
  return record;
}

// One writer: `ops` settings updates on `tenant`; returns per-op latencies (µs).
std::vector<double> write(fk::db::ConnectionPool& pool, const std::string& tenant, int ops,
                          bool audited) {
  static const char* zones[] = {"Europe/Zurich", "America/New_York"};
  std::vector<double> latencies;
  latencies.reserve(static_cast<std::size_t>(ops));
  for (int i = 0; i < ops; ++i) {
    const auto started = Clock::now();
    fk::db::TenantTransaction transaction(pool, tenant);
    fk::settings::update_settings(transaction.work(), {{"timezone", zones[i % 2]}});
    // As the pipeline does: the append goes with the COMMIT, one round trip.
    if (audited) {
      transaction.commit({fk::audit::append_statement({settings_record(i)})});
    } else {
      transaction.commit();
    }
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }
  return latencies;
}

struct Sample {
  double ops_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
};

Sample run(fk::db::ConnectionPool& pool, const std::vector<std::string>& tenants, int threads,
           int ops, bool audited) {
  std::vector<std::vector<double>> results(static_cast<std::size_t>(threads));
  std::vector<std::thread> writers;
  const auto started = Clock::now();
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      results[static_cast<std::size_t>(t)] =
          write(pool, tenants[static_cast<std::size_t>(t) % tenants.size()], ops, audited);
    });
  }
  for (auto& writer : writers) writer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<double> all;
  for (const auto& r : results) all.insert(all.end(), r.begin(), r.end());
  std::sort(all.begin(), all.end());
  return {static_cast<double>(all.size()) / seconds, all[all.size() / 2],
          all[std::min(all.size() - 1, all.size() * 99 / 100)]};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string load_average() {
  std::FILE* file = std::fopen("/proc/loadavg", "r");
  if (file == nullptr) return "?";
  char buffer[128] = {};
  const auto read = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  std::string text(buffer, read);
  return text.substr(0, text.find(' ', text.find(' ', text.find(' ') + 1) + 1));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = parse(argc, argv);
    fk::log::set_level(fk::log::Level::warn);
    fk::config::KernelConfig config;
    config.database.url = options.owner_url;
    config.database.runtime_url = options.runtime_url;
    config.embedded.data_dir = options.data_dir;
    auto database = fk::app::open_database(config);
    fk::app::migrate_kernel(database.owner_url);
    fk::db::ConnectionPool pool(database.runtime_url, static_cast<std::size_t>(options.threads),
                                std::chrono::seconds(30));
    fk::tenancy::TenantAdmin admin(database.owner_url);
    std::vector<std::string> tenants;
    for (int t = 0; t < options.threads; ++t) {
      tenants.push_back(
          admin
              .create("bench-audit-" + std::to_string(getpid()) + "-" + std::to_string(t),
                      "Audit cost bench")
              .id);
    }
    std::cout << "audit cost: " << options.rounds << " rounds x " << options.ops
              << " transactions per writer; load average before: " << load_average() << "\n";
    write(pool, tenants[0], 200, true);  // warm-up: connections, plans, chain heads
    write(pool, tenants[0], 200, false);

    struct Scenario {
      std::string name;
      int threads;
      std::vector<std::string> tenants;
    };
    const std::vector<Scenario> scenarios = {
        {"1 writer", 1, {tenants[0]}},
        {std::to_string(options.threads) + " writers, 1 tenant", options.threads, {tenants[0]}},
        {std::to_string(options.threads) + " writers, " + std::to_string(options.threads) +
             " tenants",
         options.threads, tenants},
    };
    for (const auto& scenario : scenarios) {
      std::map<bool, std::vector<Sample>> samples;
      for (int round = 0; round < options.rounds; ++round) {
        // Alternate which side goes first, so drift in load hits both.
        for (const bool audited : {round % 2 == 0, round % 2 != 0}) {
          samples[audited].push_back(
              run(pool, scenario.tenants, scenario.threads, options.ops, audited));
        }
      }
      const auto med = [&](bool audited, double Sample::*field) {
        std::vector<double> values;
        for (const auto& s : samples[audited]) values.push_back(s.*field);
        return median(values);
      };
      const double plain = med(false, &Sample::ops_per_second);
      const double audited = med(true, &Sample::ops_per_second);
      std::printf(
          "%-26s without audit: %8.0f tx/s p50 %6.0f us p99 %6.0f us | with audit: %8.0f tx/s "
          "p50 %6.0f us p99 %6.0f us | throughput ratio %.2f, p50 ratio %.2f\n",
          scenario.name.c_str(), plain, med(false, &Sample::p50_us), med(false, &Sample::p99_us),
          audited, med(true, &Sample::p50_us), med(true, &Sample::p99_us), audited / plain,
          med(true, &Sample::p50_us) / med(false, &Sample::p50_us));
      std::fflush(stdout);
    }
    std::cout << "load average after: " << load_average() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fk_bench_audit_cost: " << e.what() << "\n";
    return 1;
  }
}
