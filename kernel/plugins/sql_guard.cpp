#include "plugins/sql_guard.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace fk::plugins {
namespace {

// Statements a plugin may start with: data reads and writes only.
constexpr std::array<std::string_view, 8> kAllowedFirstWords = {
    "select", "insert", "update", "delete", "with", "values", "table", "merge"};

// Functions that change session state or signal outside the transaction.
constexpr std::array<std::string_view, 6> kRefusedFunctions = {
    "set_config", "pg_notify",           "pg_advisory_lock", "pg_advisory_xact_lock",
    "dblink",     "pg_terminate_backend"};

struct Tokens {
  std::vector<std::string> words;  // unquoted identifiers and keywords, lower-cased
  bool statement_after_semicolon = false;
  bool unterminated = false;
};

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

// Skips a quoted section starting at `i` (the opening quote); returns the
// index after it, or npos if it never closes.
std::size_t skip_quoted(std::string_view sql, std::size_t i, char quote, bool backslash_escapes) {
  for (std::size_t j = i + 1; j < sql.size(); ++j) {
    if (backslash_escapes && sql[j] == '\\') {
      ++j;
      continue;
    }
    if (sql[j] == quote) {
      if (j + 1 < sql.size() && sql[j + 1] == quote) {
        ++j;  // doubled quote inside the literal
        continue;
      }
      return j + 1;
    }
  }
  return std::string_view::npos;
}

Tokens tokenize(std::string_view sql) {
  Tokens tokens;
  bool seen_semicolon = false;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      int depth = 1;  // PostgreSQL block comments nest
      i += 2;
      while (i < sql.size() && depth > 0) {
        if (sql.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (sql.compare(i, 2, "*/") == 0) {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      if (depth > 0) tokens.unterminated = true;
    } else if (c == '\'' || c == '"') {
      const bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'e' || sql[i - 1] == 'E');
      i = skip_quoted(sql, i, c, escapes);
      if (i == std::string_view::npos) {
        tokens.unterminated = true;
        break;
      }
      if (seen_semicolon) tokens.statement_after_semicolon = true;
    } else if (c == '$' && (i == 0 || !word_char(sql[i - 1]))) {
      // Dollar quote $tag$...$tag$, or a parameter $1.
      std::size_t j = i + 1;
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) != 0 || sql[j] == '_'))
        ++j;
      if (j < sql.size() && sql[j] == '$' &&
          (j == i + 1 || std::isdigit(static_cast<unsigned char>(sql[i + 1])) == 0)) {
        const std::string_view tag = sql.substr(i, j - i + 1);
        const auto end = sql.find(tag, j + 1);
        if (end == std::string_view::npos) {
          tokens.unterminated = true;
          break;
        }
        i = end + tag.size();
      } else {
        i = j;  // $1
      }
      if (seen_semicolon) tokens.statement_after_semicolon = true;
    } else if (c == ';') {
      seen_semicolon = true;
      ++i;
    } else if (word_char(c)) {
      std::size_t j = i;
      while (j < sql.size() && word_char(sql[j])) ++j;
      std::string word(sql.substr(i, j - i));
      std::transform(word.begin(), word.end(), word.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      tokens.words.push_back(std::move(word));
      if (seen_semicolon) tokens.statement_after_semicolon = true;
      i = j;
    } else {
      if (seen_semicolon) tokens.statement_after_semicolon = true;
      ++i;
    }
  }
  return tokens;
}

}  // namespace

std::optional<std::string> refuse_plugin_sql(std::string_view sql) {
  const Tokens tokens = tokenize(sql);
  if (tokens.unterminated) return "unterminated comment, literal or quoted identifier";
  if (tokens.statement_after_semicolon) return "more than one statement in one call";
  if (tokens.words.empty()) return "empty statement";
  const std::string& first = tokens.words.front();
  if (std::find(kAllowedFirstWords.begin(), kAllowedFirstWords.end(), first) ==
      kAllowedFirstWords.end()) {
    return "\"" + first +
           "\" statements are not allowed to plugins: only SELECT, INSERT, UPDATE, DELETE, "
           "MERGE, VALUES, TABLE and WITH (schema changes belong in migrations; transaction "
           "and session control belong to the kernel)";
  }
  for (std::size_t i = 0; i < tokens.words.size(); ++i) {
    const std::string& word = tokens.words[i];
    if (std::find(kRefusedFunctions.begin(), kRefusedFunctions.end(), word) !=
        kRefusedFunctions.end()) {
      return "\"" + word +
             "\" is not allowed to plugins (it acts outside the transaction or "
             "changes the session)";
    }
    // SELECT ... INTO creates a table.
    if (first == "select" && word == "into") return "SELECT INTO is not allowed to plugins";
  }
  return std::nullopt;
}

}  // namespace fk::plugins
