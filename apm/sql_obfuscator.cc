#include "apm/sql_obfuscator.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace sidecar::apm {
namespace {

// Token kinds. Punctuation tokens use their ASCII byte as kind; named kinds live above the byte
// range. The Filtered* kinds never come from the tokenizer: the filters assign them to tell the
// next token what happened to this one.
using TokenKind = uint32_t;
enum : TokenKind {
  kEnd = 0x100,
  kError,
  kId,
  kLimit,
  kNull,
  kString,
  kDoubleQuotedString,
  kDollarQuotedString,
  kDollarQuotedFunc,
  kNumber,
  kBooleanLiteral,
  kValueArg,
  kListArg,
  kComment,
  kVariable,
  kSavepoint,
  kPreparedStatement,
  kEscapeSequence,
  kNullSafeEqual,
  kLe,
  kGe,
  kNe,
  kNot,
  kAs,
  kAlter,
  kDrop,
  kCreate,
  kGrant,
  kRevoke,
  kCommit,
  kBegin,
  kTruncate,
  kSelect,
  kFrom,
  kUpdate,
  kDelete,
  kInsert,
  kInto,
  kJoin,
  kTableName,
  kColonCast,
  kJsonOperator,  // PostgreSQL JSON operators (`->`, `#>>`, `@>`, `?|` ...); never obfuscated.
  kFilteredGroupable,
  kFilteredGroupableParenthesis,
  kFiltered,
  kFilteredBracketedIdentifier,
};

struct Keyword {
  std::string_view upper;
  TokenKind kind;
};

constexpr std::array<Keyword, 21> kKeywords = {{
    {"NULL", kNull},           {"TRUE", kBooleanLiteral}, {"FALSE", kBooleanLiteral},
    {"SAVEPOINT", kSavepoint}, {"LIMIT", kLimit},         {"AS", kAs},
    {"ALTER", kAlter},         {"CREATE", kCreate},       {"GRANT", kGrant},
    {"REVOKE", kRevoke},       {"COMMIT", kCommit},       {"BEGIN", kBegin},
    {"TRUNCATE", kTruncate},   {"DROP", kDrop},           {"SELECT", kSelect},
    {"FROM", kFrom},           {"UPDATE", kUpdate},       {"DELETE", kDelete},
    {"INSERT", kInsert},       {"INTO", kInto},           {"JOIN", kJoin},
}};
constexpr size_t kLongestKeyword = 9;

constexpr int32_t kEof = -1;

bool IsSpace(int32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool IsDigit(int32_t c) { return c >= '0' && c <= '9'; }

// Non-ASCII blocks that hold no letters: Latin-1 punctuation and signs, combining marks, general
// punctuation through miscellaneous symbols and arrows, CJK punctuation, private use, variation
// selectors and specials, emoji and pictographs.
bool IsNonLetterBlock(int32_t c) {
  return (c >= 0x80 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 ||
         c == 0xF7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x2000 && c <= 0x2BFF) ||
         (c >= 0x3000 && c <= 0x303F) || (c >= 0xE000 && c <= 0xF8FF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFFF0 && c <= 0xFFFF) ||
         (c >= 0x1F000 && c <= 0x1FAFF);
}

// Unicode letters, approximated without tables: every non-ASCII code point outside the blocks
// above. Close to Go's unicode.IsLetter for the identifiers seen in practice.
bool IsUnicodeLetter(int32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0x80 && !IsSpace(c) && !IsNonLetterBlock(c));
}

bool IsLeadingLetter(int32_t c) { return IsUnicodeLetter(c) || c == '_' || c == '@'; }

bool IsLetter(int32_t c) { return IsLeadingLetter(c) || c == '#'; }

int DigitValue(int32_t c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return 16;
}

bool IsValidCharAfterOperator(int32_t c) {
  return c == '(' || c == '`' || c == '\'' || c == '"' || c == '+' || c == '-' || IsSpace(c) ||
         IsLetter(c) || IsDigit(c);
}

bool IsAllSpace(std::string_view text) {
  for (const char c : text) {
    // Multi-byte spaces inside literals are rare; treating them as content only keeps the quotes
    // off, which the literal's `?` hides anyway.
    if (!IsSpace(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Decodes one UTF-8 code point at the front of `text`. Returns the length, or 0 when the bytes
// are not valid UTF-8 (overlong forms and surrogates included).
size_t DecodeUtf8(std::string_view text, int32_t* code_point) {
  const auto b0 = static_cast<unsigned char>(text[0]);
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  }
  size_t len = 0;
  int32_t cp = 0;
  int32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < len) {
    return 0;
  }
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  *code_point = cp;
  return len;
}

struct Token {
  TokenKind kind = kEnd;
  // Points into the query or into the tokenizer's scratch buffer; valid until the next Scan().
  std::string_view text;
};

absl::StatusOr<std::string> ObfuscateTokens(std::string_view query, bool literal_escapes,
                                            const SqlOptions& options, std::string* tables_csv,
                                            bool* seen_escape);

// Splits a query into tokens, one code point of lookahead. Mirrors the Agent's tokenizer rules
// (apm.md §5), which favour robustness over a faithful SQL grammar.
class Tokenizer {
 public:
  Tokenizer(std::string_view input, bool literal_escapes, const SqlOptions& options)
      : input_(input), literal_escapes_(literal_escapes), options_(options) {
    Load();
  }

  Token Scan() {
    Token token = ScanToken();
    if (!error_.empty()) {
      return Token{kError, {}};
    }
    return token;
  }

  bool SeenEscape() const { return seen_escape_; }
  const std::string& Error() const { return error_; }

 private:
  bool IsPostgres() const { return options_.dbms == SqlDbms::kPostgres; }

  // Decodes the code point at pos_ into cur_; invalid UTF-8 ends the input with an error.
  void Load() {
    if (pos_ >= input_.size()) {
      cur_ = kEof;
      cur_len_ = 0;
      return;
    }
    cur_len_ = DecodeUtf8(input_.substr(pos_), &cur_);
    if (cur_len_ == 0) {
      SetError("invalid UTF-8 encoding");
      cur_ = kEof;
    }
  }

  void Advance() {
    pos_ += cur_len_;
    Load();
  }

  void SetError(std::string message) {
    if (error_.empty()) {
      error_ = "at position " + std::to_string(pos_) + ": " + std::move(message);
    }
  }

  std::string_view Text() const { return input_.substr(start_, pos_ - start_); }
  Token Make(TokenKind kind) const { return Token{kind, Text()}; }
  Token Fail(std::string message) {
    SetError(std::move(message));
    return Token{kError, {}};
  }

  Token ScanToken() {
    while (IsSpace(cur_)) {
      Advance();
    }
    start_ = pos_;
    const int32_t ch = cur_;
    if (ch == kEof) {
      return Token{kEnd, {}};
    }
    if (IsLeadingLetter(ch) && !(IsPostgres() && ch == '@')) {
      return ScanIdentifier();
    }
    if (IsDigit(ch)) {
      return ScanNumber(false);
    }
    Advance();
    switch (ch) {
      case ':':
        if (cur_ == ':') {
          Advance();
          return Make(kColonCast);
        }
        if (IsSpace(cur_) || cur_ == '=') {
          // "autovacuum: VACUUM" and the `:=` assignment.
          return Make(':');
        }
        return ScanBindVar();
      case '~':
        if (cur_ == '*') {
          Advance();
        }
        return Make('~');
      case '?':
        if (IsPostgres()) {
          if (cur_ == '|' || cur_ == '&') {
            Advance();
          }
          return Make(kJsonOperator);
        }
        return Make('?');
      case '=':
      case ',':
      case ';':
      case '(':
      case ')':
      case '+':
      case '*':
      case '&':
      case '|':
      case '^':
      case ']':
        return Make(static_cast<TokenKind>(ch));
      case '[':
        if (options_.dbms == SqlDbms::kSqlServer) {
          return ScanString(']', kDoubleQuotedString);  // [bracketed identifier]
        }
        return Make('[');
      case '.':
        if (IsDigit(cur_)) {
          return ScanNumber(true);
        }
        return Make('.');
      case '/':
        if (cur_ == '/') {
          Advance();
          return ScanLineComment();
        }
        if (cur_ == '*') {
          Advance();
          return ScanBlockComment();
        }
        return Make('/');
      case '-':
        return ScanAfterMinus();
      case '#':
        return ScanAfterHash();
      case '<':
        if (cur_ == '>') {
          Advance();
          return Make(kNe);
        }
        if (cur_ == '=') {
          Advance();
          if (cur_ == '>') {
            Advance();
            return Make(kNullSafeEqual);
          }
          return Make(kLe);
        }
        if (cur_ == '@' && IsPostgres()) {
          Advance();
          return Make(kJsonOperator);
        }
        return Make('<');
      case '>':
        if (cur_ == '=') {
          Advance();
          return Make(kGe);
        }
        return Make('>');
      case '!':
        if (cur_ == '=') {
          Advance();
          return Make(kNe);
        }
        if (cur_ == '~') {
          Advance();
          if (cur_ == '*') {
            Advance();
          }
          return Make(kNe);
        }
        if (IsValidCharAfterOperator(cur_)) {
          return Make(kNot);
        }
        return Fail("unexpected character after \"!\"");
      case '\'':
        return ScanString('\'', kString);
      case '"':
        return ScanString('"', kDoubleQuotedString);
      case '`':
        return ScanString('`', kId);
      case '%':
        if (cur_ == '(') {
          return ScanVariableIdentifier();
        }
        if (IsLetter(cur_)) {
          // A format parameter such as %s.
          Advance();
          return Make(kVariable);
        }
        return Make('%');
      case '$':
        if (IsDigit(cur_)) {
          Token number = ScanNumber(false);
          number.kind = number.kind == kNumber ? kPreparedStatement : number.kind;
          return number;
        }
        if (options_.dbms == SqlDbms::kSqlServer && IsLetter(cur_)) {
          return ScanIdentifier();  // MERGE ... OUTPUT $action
        }
        return ScanDollarQuoted();
      case '@':
        // Only reached for PostgreSQL, where '@' is an operator.
        if (cur_ == '>') {
          Advance();
          return Make(kJsonOperator);
        }
        return Make('@');
      case '{':
        if (start_ == 0 || curlys_ > 0) {
          // A top-level JDBC escape such as `{call proc(?)}` keeps its text for context.
          ++curlys_;
          return Make('{');
        }
        return ScanEscapeSequence();
      case '}':
        if (curlys_ == 0) {
          return Fail("unexpected '}'");
        }
        --curlys_;
        return Make('}');
      default:
        return Fail("unexpected byte " + std::to_string(ch));
    }
  }

  Token ScanIdentifier() {
    Advance();
    while (IsLetter(cur_) || IsDigit(cur_) || cur_ == '.' || cur_ == '*' || cur_ == '$') {
      Advance();
    }
    const std::string_view text = Text();
    if (text.size() <= kLongestKeyword) {
      std::array<char, kLongestKeyword> upper{};
      for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      }
      const std::string_view upper_view(upper.data(), text.size());
      for (const Keyword& keyword : kKeywords) {
        if (keyword.upper == upper_view) {
          return Token{keyword.kind, text};
        }
      }
    }
    return Token{kId, text};
  }

  void ScanMantissa(int base) {
    while (DigitValue(cur_) < base) {
      Advance();
    }
  }

  // Numbers: decimal, `.5`, exponent, `0x` hex. A leading '-' is part of the token text.
  Token ScanNumber(bool seen_decimal_point) {
    if (seen_decimal_point) {
      ScanMantissa(10);
      ScanExponent();
      return Make(kNumber);
    }
    if (cur_ == '0') {
      Advance();
      if (cur_ == 'x' || cur_ == 'X') {
        Advance();
        ScanMantissa(16);
        return Make(kNumber);
      }
      ScanMantissa(10);  // octal or not, 0-prefixed digits are one number
      if (cur_ != '.' && cur_ != 'e' && cur_ != 'E') {
        return Make(kNumber);
      }
    } else {
      ScanMantissa(10);
    }
    if (cur_ == '.') {
      Advance();
      ScanMantissa(10);
    }
    ScanExponent();
    return Make(kNumber);
  }

  void ScanExponent() {
    if (cur_ == 'e' || cur_ == 'E') {
      Advance();
      if (cur_ == '+' || cur_ == '-') {
        Advance();
      }
      ScanMantissa(10);
    }
  }

  Token ScanAfterMinus() {
    if (cur_ == '-') {
      Advance();
      return ScanLineComment();
    }
    if (cur_ == '>' && IsPostgres()) {
      Advance();
      if (cur_ == '>') {
        Advance();
      }
      return Make(kJsonOperator);
    }
    if (cur_ == '>' || IsDigit(cur_)) {
      // Outside PostgreSQL the Agent reads `->` as a (replaced) number, then `>`.
      return ScanNumber(false);
    }
    if (cur_ == '.' && pos_ + 1 < input_.size() && IsDigit(input_[pos_ + 1])) {
      Advance();
      return ScanNumber(true);
    }
    return Make('-');
  }

  Token ScanAfterHash() {
    switch (options_.dbms) {
      case SqlDbms::kSqlServer:
        return ScanIdentifier();  // #temp tables
      case SqlDbms::kPostgres:
        if (cur_ == '>') {
          Advance();
          if (cur_ == '>') {
            Advance();
          }
          return Make(kJsonOperator);
        }
        if (cur_ == '-') {
          Advance();
          return Make(kJsonOperator);
        }
        return Make('#');
      case SqlDbms::kGeneric:
        break;
    }
    // MySQL comment. Like the Agent, the character right after '#' is part of the comment even
    // when it is a newline.
    Advance();
    return ScanLineComment();
  }

  Token ScanLineComment() {
    while (cur_ != kEof) {
      if (cur_ == '\n') {
        Advance();
        break;
      }
      Advance();
    }
    return Make(kComment);
  }

  Token ScanBlockComment() {
    for (;;) {
      if (cur_ == '*') {
        Advance();
        if (cur_ == '/') {
          Advance();
          return Make(kComment);
        }
        continue;
      }
      if (cur_ == kEof) {
        return Fail("unexpected EOF in comment");
      }
      Advance();
    }
  }

  // After ':' (not "::", not ":=", not ": "): `:name`, `:1`, `:a.b`.
  Token ScanBindVar() {
    TokenKind kind = kValueArg;
    if (cur_ == ':') {
      kind = kListArg;
      Advance();
    }
    if (!IsLetter(cur_) && !IsDigit(cur_)) {
      return Fail("bind variables should start with letters or digits");
    }
    while (IsLetter(cur_) || IsDigit(cur_) || cur_ == '.') {
      Advance();
    }
    return Make(kind);
  }

  // After '%': `%(name)s`.
  Token ScanVariableIdentifier() {
    Advance();  // '('
    while (cur_ != ')' && cur_ != kEof) {
      Advance();
    }
    Advance();
    if (!IsLetter(cur_)) {
      return Fail("invalid character after variable identifier");
    }
    Advance();
    return Make(kVariable);
  }

  // After '{' that does not open a top-level escape: `{fn UCASE('x')}`, `{ts '...'}`.
  Token ScanEscapeSequence() {
    while (cur_ != '}' && cur_ != kEof) {
      Advance();
    }
    if (cur_ == kEof) {
      return Fail("unexpected EOF in escape sequence");
    }
    Advance();
    return Make(kEscapeSequence);
  }

  // After the opening delimiter. The token text is the content without delimiters (doubled
  // delimiters and, unless literal_escapes_, backslash escapes resolved); an empty or blank
  // literal keeps two delimiters so the output stays valid SQL.
  Token ScanString(int32_t delim, TokenKind kind) {
    scratch_.clear();
    for (;;) {
      int32_t ch = cur_;
      size_t at = pos_;
      size_t len = cur_len_;
      if (ch == kEof) {
        return Fail("unexpected EOF in string");
      }
      Advance();
      if (ch == delim) {
        if (cur_ != delim) {
          break;
        }
        Advance();
      } else if (ch == '\\') {
        seen_escape_ = true;
        if (!literal_escapes_) {
          ch = cur_;
          at = pos_;
          len = cur_len_;
          if (ch == kEof) {
            return Fail("unexpected EOF in string");
          }
          Advance();
        }
      }
      scratch_.append(input_.substr(at, len));
    }
    if ((kind == kId && scratch_.empty()) || IsAllSpace(scratch_)) {
      scratch_.assign(2, static_cast<char>(delim));
    }
    return Token{kind, scratch_};
  }

  // After '$' not followed by a digit: `$$...$$` or `$tag$...$tag$`.
  Token ScanDollarQuoted() {
    const Token tag = ScanString('$', kString);
    if (tag.kind == kError) {
      return tag;
    }
    const std::string delim = tag.text == "$$" ? std::string("$$") : "$" + scratch_ + "$";
    scratch_.clear();
    size_t matched = 0;
    for (;;) {
      const int32_t ch = cur_;
      const size_t at = pos_;
      const size_t len = cur_len_;
      if (ch == kEof) {
        return Fail("unexpected EOF in dollar-quoted string");
      }
      Advance();
      if (len == 1 && input_[at] == delim[matched]) {
        if (++matched == delim.size()) {
          break;
        }
        continue;
      }
      if (matched > 0) {
        scratch_.append(delim, 0, matched);
        matched = 0;
      }
      scratch_.append(input_.substr(at, len));
    }
    if (!options_.dollar_quoted_func || delim != "$func$") {
      return Token{kDollarQuotedString, scratch_};
    }
    // The body of a $func$ is SQL of its own: obfuscate it and keep the delimiters. The delimiter
    // cannot occur inside the body, so this recursion is one level deep.
    bool unused_seen_escape = false;
    absl::StatusOr<std::string> body =
        ObfuscateTokens(scratch_, literal_escapes_, options_, nullptr, &unused_seen_escape);
    if (!body.ok()) {
      return Token{kDollarQuotedString, scratch_};
    }
    scratch_ = "$func$" + *body + "$func$";
    return Token{kDollarQuotedFunc, scratch_};
  }

  std::string_view input_;
  bool literal_escapes_;
  const SqlOptions& options_;
  size_t pos_ = 0;       // byte offset of cur_
  size_t start_ = 0;     // byte offset where the current token starts
  int32_t cur_ = kEof;   // code point at pos_, kEof at the end
  size_t cur_len_ = 0;   // its length in bytes
  uint32_t curlys_ = 0;  // open braces of a top-level JDBC escape
  bool seen_escape_ = false;
  std::string scratch_;
  std::string error_;
};

bool IsFilteredGroupable(TokenKind kind) {
  return kind == kFilteredGroupable || kind == kFilteredGroupableParenthesis;
}

// A token dropped or replaced by a filter; '(' stays recognizable as a possible subquery start.
TokenKind MarkFilteredGroupable(TokenKind kind) {
  return kind == '(' ? kFilteredGroupableParenthesis : kFilteredGroupable;
}

void ReplaceDigits(std::string_view text, std::string* out) {
  out->clear();
  bool in_digits = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      if (!in_digits) {
        out->push_back('?');
      }
      in_digits = true;
      continue;
    }
    in_digits = false;
    out->push_back(c);
  }
}

bool StartsWithLetter(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  int32_t cp = 0;
  return DecodeUtf8(text, &cp) > 0 && IsUnicodeLetter(cp);
}

// The per-token decisions after the tokenizer, in the Agent's order: table names, discard,
// replace, group. Each step sees the previous token's final kind (`last_`) and may change the
// current token's kind or text or drop it; the kinds it leaves behind steer the next token.
class FilterChain {
 public:
  FilterChain(const SqlOptions& options, std::string* tables_csv)
      : options_(options), tables_csv_(tables_csv) {}

  // Runs one token through the chain and appends what is left of it to `out`.
  absl::Status Process(const Token& token, std::string* out) {
    kind_ = token.kind;
    text_ = token.text;
    keep_ = true;
    if (options_.table_names) {
      CollectTableName();
    }
    if (absl::Status status = Discard(); !status.ok()) {
      return status;
    }
    Replace();
    Group();
    if (keep_) {
      if (!out->empty() && kind_ != ',' && !(kind_ == '=' && last_ == ':')) {
        out->push_back(' ');
      }
      out->append(text_);
    }
    last_ = kind_;
    return absl::OkStatus();
  }

 private:
  // The identifier after FROM/JOIN (unless a subquery follows), UPDATE or INTO.
  void CollectTableName() {
    if (last_ != kUpdate && last_ != kInto &&
        !((last_ == kFrom || last_ == kJoin) && StartsWithLetter(text_))) {
      return;
    }
    std::string name(text_);
    if (options_.replace_digits) {
      ReplaceDigits(text_, &digits_);
      name = digits_;
    }
    if (tables_csv_ != nullptr && !tables_.contains(name)) {
      if (!tables_csv_->empty()) {
        tables_csv_->push_back(',');
      }
      tables_csv_->append(name);
      tables_.insert(std::move(name));
    }
    kind_ = kTableName;
  }

  // Comments, ';', AS and the alias after it, `AS [bracketed alias]`.
  absl::Status Discard() {
    bool after_alias_keyword = last_ == kAs;
    if (last_ == kFilteredBracketedIdentifier) {
      if (kind_ != ']') {
        if (kind_ != kId) {
          return absl::InvalidArgumentError("expected identifier in bracketed alias");
        }
        Drop(kFilteredBracketedIdentifier);
        return absl::OkStatus();
      }
      after_alias_keyword = true;
    }
    if (after_alias_keyword) {
      if (kind_ == '[') {
        Drop(kFilteredBracketedIdentifier);
      } else if (!options_.keep_alias) {
        Drop(kFiltered);
      }
    } else if (kind_ == kComment) {
      Drop(kFiltered);
    } else if (kind_ == ';') {
      Drop(kFilteredGroupable);
    } else if (kind_ == kAs && !options_.keep_alias) {
      Drop(kAs);
    }
    return absl::OkStatus();
  }

  // Literals and bind parameters become '?'.
  void Replace() {
    if (last_ == kSavepoint || (last_ == '=' && kind_ == kDoubleQuotedString)) {
      ReplaceByQuestionMark();
      return;
    }
    switch (kind_) {
      case kDollarQuotedString:
      case kString:
      case kNumber:
      case kNull:
      case kVariable:
      case kPreparedStatement:
      case kBooleanLiteral:
      case kEscapeSequence:
      case '?':
        ReplaceByQuestionMark();
        break;
      case kTableName:
      case kId:
        if (options_.replace_digits) {
          ReplaceDigits(text_, &digits_);
          text_ = digits_;
        }
        break;
      default:
        break;
    }
  }

  // One '?' per run of values, one `( ? )` per run of value groups.
  void Group() {
    if ((last_ == '(' && IsFilteredGroupable(kind_)) || (kind_ == '(' && group_multi_ > 0)) {
      ++group_multi_;
    }
    const bool starts_subquery =
        kind_ == kSelect || kind_ == kDelete || kind_ == kUpdate || kind_ == kId;
    if (group_multi_ > 0 && last_ == kFilteredGroupableParenthesis && starts_subquery) {
      // What looked like a value group is a nested query: give back its dropped '('.
      ResetGroup();
      prefixed_ = "( ";
      if (keep_) {
        prefixed_.append(text_);
      }
      text_ = prefixed_;
      keep_ = true;
    } else if (IsFilteredGroupable(kind_)) {
      if (++group_filter_ > 1) {
        Drop(MarkFilteredGroupable(kind_));
      }
    } else if (group_filter_ > 0 && (kind_ == ',' || kind_ == '?')) {
      Drop(kFilteredGroupable);
    } else if (group_multi_ > 1) {
      Drop(MarkFilteredGroupable(kind_));
    } else if (kind_ != ',' && kind_ != '(' && kind_ != ')') {
      ResetGroup();
    }
  }

  void Drop(TokenKind kind) {
    kind_ = kind;
    keep_ = false;
  }

  void ReplaceByQuestionMark() {
    kind_ = MarkFilteredGroupable(kind_);
    text_ = "?";
    keep_ = true;
  }

  void ResetGroup() {
    group_filter_ = 0;
    group_multi_ = 0;
  }

  const SqlOptions& options_;
  std::string* tables_csv_;  // null: do not report tables
  absl::flat_hash_set<std::string> tables_;
  std::string digits_;    // storage for ReplaceDigits results
  std::string prefixed_;  // storage for "( " + subquery token
  TokenKind last_ = 0;
  int group_filter_ = 0;  // values seen in the current group: `?, ?, ?`
  int group_multi_ = 0;   // groups seen in a row: `( ? ), ( ? )`
  // The token being processed.
  TokenKind kind_ = kEnd;
  std::string_view text_;
  bool keep_ = true;
};

// One tokenizer pass through the filter chain. `tables_csv` may be null (nested $func$ bodies do
// not report tables).
absl::StatusOr<std::string> ObfuscateTokens(std::string_view query, bool literal_escapes,
                                            const SqlOptions& options, std::string* tables_csv,
                                            bool* seen_escape) {
  Tokenizer tokenizer(query, literal_escapes, options);
  FilterChain filters(options, tables_csv);
  std::string out;
  out.reserve(query.size());
  for (;;) {
    const Token token = tokenizer.Scan();
    if (token.kind == kEnd) {
      break;
    }
    if (token.kind == kError) {
      *seen_escape = tokenizer.SeenEscape();
      return absl::InvalidArgumentError(tokenizer.Error());
    }
    if (absl::Status status = filters.Process(token, &out); !status.ok()) {
      *seen_escape = tokenizer.SeenEscape();
      return status;
    }
  }
  *seen_escape = tokenizer.SeenEscape();
  if (out.empty()) {
    return absl::InvalidArgumentError("result is empty");
  }
  return out;
}

absl::StatusOr<SqlObfuscationResult> Attempt(std::string_view query, bool literal_escapes,
                                             const SqlOptions& options, bool* seen_escape) {
  SqlObfuscationResult result;
  absl::StatusOr<std::string> out =
      ObfuscateTokens(query, literal_escapes, options, &result.tables_csv, seen_escape);
  if (!out.ok()) {
    return out.status();
  }
  result.query = std::move(*out);
  return result;
}

}  // namespace

absl::StatusOr<SqlObfuscationResult> ObfuscateSql(std::string_view query,
                                                  const SqlOptions& options) {
  bool seen_escape = false;
  absl::StatusOr<SqlObfuscationResult> result =
      Attempt(query, /*literal_escapes=*/false, options, &seen_escape);
  if (!result.ok() && seen_escape) {
    // A backslash may be an ordinary character (standard SQL strings): retry reading it literally.
    bool unused = false;
    absl::StatusOr<SqlObfuscationResult> retry =
        Attempt(query, /*literal_escapes=*/true, options, &unused);
    if (retry.ok()) {
      return retry;
    }
  }
  return result;
}

SqlDbms SqlDbmsFromDbType(std::string_view db_type) {
  if (db_type == "postgresql" || db_type == "postgres") {
    return SqlDbms::kPostgres;
  }
  if (db_type == "mssql" || db_type == "sqlserver") {
    return SqlDbms::kSqlServer;
  }
  return SqlDbms::kGeneric;
}

}  // namespace sidecar::apm
