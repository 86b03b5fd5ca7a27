#include "apm/redis_obfuscator.h"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/strings.h"

namespace sidecar::apm {
namespace {

constexpr std::string_view kTruncationMark = "...";
constexpr int kMaxQuantizedCommands = 3;

std::string AsciiUpper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return upper;
}

bool EqualsUpper(std::string_view text, std::string_view upper) {
  if (text.size() != upper.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (u != upper[i]) {
      return false;
    }
  }
  return true;
}

bool IsCompoundCommand(std::string_view upper) {
  constexpr std::array<std::string_view, 6> kCompound = {"CLIENT", "CLUSTER", "COMMAND",
                                                         "CONFIG", "DEBUG",   "SCRIPT"};
  for (const std::string_view compound : kCompound) {
    if (upper == compound) {
      return true;
    }
  }
  return false;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

// Cuts the next word (up to a single ' ') off the front of `text`.
std::string_view NextWord(std::string_view& text) {
  const size_t space = text.find(' ');
  const std::string_view word = text.substr(0, space);
  text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
  return word;
}

// Splits a raw command into lines of (command, arguments). An argument ends at an unquoted space
// or newline; double quotes (unless backslash-escaped) may wrap spaces and newlines; tabs and
// carriage returns after a separator are skipped. Empty lines are dropped. Quotes and escapes
// stay in the argument, so every command and argument is a contiguous piece of the input: they
// are returned as views into it, with no copy per character.
class RawCommandReader {
 public:
  explicit RawCommandReader(std::string_view data) : data_(common::TrimAsciiSpace(data)) {}

  // Reads the next line; false at the end of the input.
  bool Next(std::string_view* command, std::vector<std::string_view>* args) {
    args->clear();
    while (pos_ < data_.size()) {
      ReadCommand(command);
      while (in_arguments_ && pos_ <= data_.size()) {
        args->push_back(ReadArgument());
      }
      if (!command->empty()) {
        return true;
      }
    }
    return false;
  }

 private:
  void SkipSeparators() {
    while (pos_ < data_.size() &&
           (data_[pos_] == ' ' || data_[pos_] == '\t' || data_[pos_] == '\r')) {
      ++pos_;
    }
    if (pos_ < data_.size() && data_[pos_] == '\n') {
      ++pos_;
      in_arguments_ = false;
    }
  }

  void ReadCommand(std::string_view* command) {
    in_arguments_ = false;
    while (pos_ < data_.size() && data_[pos_] == ' ') {
      SkipSeparators();
    }
    const size_t start = pos_;
    while (pos_ < data_.size()) {
      const char c = data_[pos_++];
      if (c == ' ') {
        *command = data_.substr(start, pos_ - 1 - start);
        in_arguments_ = true;
        SkipSeparators();
        return;
      }
      if (c == '\n') {
        *command = data_.substr(start, pos_ - 1 - start);
        return;
      }
    }
    *command = data_.substr(start);
  }

  std::string_view ReadArgument() {
    const size_t start = pos_;
    bool quoted = false;
    bool escaped = false;
    while (pos_ < data_.size()) {
      const char c = data_[pos_++];
      if (c == '\\' && !escaped) {
        escaped = true;
        continue;
      }
      if (c == '\n' && !quoted) {
        in_arguments_ = false;
        return data_.substr(start, pos_ - 1 - start);
      }
      if (c == ' ' && !quoted) {
        const std::string_view arg = data_.substr(start, pos_ - 1 - start);
        SkipSeparators();
        if (pos_ >= data_.size()) {
          in_arguments_ = false;
        }
        return arg;
      }
      if (c == '"' && !escaped) {
        quoted = !quoted;
      }
      escaped = false;
    }
    in_arguments_ = false;
    return data_.substr(start);
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool in_arguments_ = false;
};

void HideArg(std::vector<std::string_view>& args, size_t n) {
  if (args.size() > n) {
    args[n] = "?";
  }
}

// Hides args[start + step - 1], args[start + 2 * step - 1], ...
void HideEvery(std::vector<std::string_view>& args, size_t start, size_t step) {
  for (size_t i = start + step - 1; i < args.size(); i += step) {
    args[i] = "?";
  }
}

void AppendObfuscatedLine(std::string_view command, std::vector<std::string_view>& args,
                          std::string* out) {
  out->append(command);
  if (args.empty()) {
    return;
  }
  out->push_back(' ');
  const std::string upper = AsciiUpper(command);
  if (upper == "AUTH") {
    args.resize(1);
    args[0] = "?";
  } else if (upper == "APPEND" || upper == "GETSET" || upper == "LPUSHX" ||
             upper == "GEORADIUSBYMEMBER" || upper == "RPUSHX" || upper == "SET" ||
             upper == "SETNX" || upper == "SISMEMBER" || upper == "ZRANK" || upper == "ZREVRANK" ||
             upper == "ZSCORE") {
    HideArg(args, 1);  // COMMAND key value
  } else if (upper == "HSETNX" || upper == "LREM" || upper == "LSET" || upper == "SETBIT" ||
             upper == "SETEX" || upper == "PSETEX" || upper == "SETRANGE" || upper == "ZINCRBY" ||
             upper == "SMOVE" || upper == "RESTORE") {
    HideArg(args, 2);  // COMMAND key x value
  } else if (upper == "LINSERT") {
    HideArg(args, 3);  // LINSERT key BEFORE|AFTER pivot value
  } else if (upper == "GEOHASH" || upper == "GEOPOS" || upper == "GEODIST" || upper == "LPUSH" ||
             upper == "RPUSH" || upper == "SREM" || upper == "ZREM" || upper == "SADD") {
    if (args.size() > 1) {  // COMMAND key member [member ...]
      args.resize(2);
      args[1] = "?";
    }
  } else if (upper == "GEOADD") {
    HideEvery(args, 1, 3);  // GEOADD key longitude latitude member [...]
  } else if (upper == "HSET" || upper == "HMSET") {
    HideEvery(args, 1, 2);  // HSET key field value [field value ...]
  } else if (upper == "MSET" || upper == "MSETNX") {
    HideEvery(args, 0, 2);  // MSET key value [key value ...]
  } else if (upper == "CONFIG") {
    if (EqualsUpper(args[0], "SET")) {
      HideArg(args, 2);  // CONFIG SET parameter value
    }
  } else if (upper == "BITFIELD") {
    // The value of the first SET sub-command after its type and offset.
    size_t set_at = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      if (EqualsUpper(args[i], "SET")) {
        set_at = i;
      }
      if (set_at > 0 && i - set_at == 3) {
        args[i] = "?";
        break;
      }
    }
  } else if (upper == "ZADD") {
    // ZADD key [NX|XX] [CH] [INCR] score member [score member ...]
    size_t i = 0;
    for (i = 1; i < args.size(); ++i) {
      const std::string_view arg = args[i];
      if (arg != "NX" && arg != "XX" && arg != "CH" && arg != "INCR") {
        break;
      }
    }
    if (i >= args.size()) {
      i = args.size() - 1;
    }
    HideEvery(args, i, 2);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) {
      out->push_back(' ');
    }
    out->append(args[i]);
  }
}

std::string RemoveAllArgs(std::string_view cmd) {
  const std::vector<std::string_view> fields = common::SplitAnyOf(cmd, " \t\n\r\f\v");
  if (fields.empty()) {
    return "";
  }
  std::string out(fields[0]);
  if (fields.size() == 1) {
    return out;
  }
  out.push_back(' ');
  const std::string upper = AsciiUpper(fields[0]);
  if (upper == "BITFIELD") {
    out.push_back('?');
    for (size_t i = 1; i < fields.size(); ++i) {
      if (EqualsUpper(fields[i], "SET") || EqualsUpper(fields[i], "GET") ||
          EqualsUpper(fields[i], "INCRBY")) {
        out.push_back(' ');
        out.append(fields[i]);
        out.append(" ?");
      }
    }
  } else if (upper == "CONFIG" &&
             (EqualsUpper(fields[1], "GET") || EqualsUpper(fields[1], "SET") ||
              EqualsUpper(fields[1], "RESETSTAT") || EqualsUpper(fields[1], "REWRITE"))) {
    out.append(fields[1]);
    out.append(" ?");
  } else {
    out.push_back('?');
  }
  return out;
}

}  // namespace

std::string QuantizeRedis(std::string_view command) {
  // Runs of spaces count as one; other whitespace is part of the words.
  std::string compact;
  compact.reserve(command.size());
  for (const char c : command) {
    if (c == ' ' && !compact.empty() && compact.back() == ' ') {
      continue;
    }
    compact.push_back(c);
  }
  std::string_view rest = TrimSpaces(compact);

  std::string resource;
  bool truncated = false;
  int commands = 0;
  while (!rest.empty() && commands < kMaxQuantizedCommands) {
    const size_t newline = rest.find('\n');
    std::string_view line = TrimSpaces(rest.substr(0, newline));
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (line.empty()) {
      continue;
    }
    const std::string_view first = NextWord(line);
    if (first.ends_with(kTruncationMark)) {
      truncated = true;
      continue;
    }
    std::string name = AsciiUpper(first);
    if (IsCompoundCommand(name) && !line.empty()) {
      const std::string_view second = NextWord(line);
      if (second.ends_with(kTruncationMark)) {
        truncated = true;
        continue;
      }
      name.push_back(' ');
      name.append(AsciiUpper(second));
    }
    if (!resource.empty()) {
      resource.push_back(' ');
    }
    resource.append(name);
    ++commands;
    truncated = false;
  }
  if (commands == kMaxQuantizedCommands || truncated) {
    resource.append(resource.empty() ? "..." : " ...");
  }
  return resource;
}

std::string ObfuscateRedisRawCommand(std::string_view cmd, bool remove_all_args) {
  if (remove_all_args) {
    return RemoveAllArgs(cmd);
  }
  RawCommandReader reader(cmd);
  std::string out;
  out.reserve(cmd.size());
  std::string_view command;
  std::vector<std::string_view> args;
  bool first = true;
  while (reader.Next(&command, &args)) {
    if (!first) {
      out.push_back('\n');
    }
    first = false;
    AppendObfuscatedLine(command, args, &out);
  }
  return out;
}

}  // namespace sidecar::apm
