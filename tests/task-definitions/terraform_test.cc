// task-definitions/terraform/: the container templates render (by plain ${name} substitution, as
// templatefile() does for templates without directives) to exactly the JSON examples'
// containerDefinitions, and a structural check of the HCL: balanced, one aws_ecs_task_definition
// per variant with the example's task-level settings, every variable declared and used. Terraform
// is not run here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/task-definitions/task_definition_files.h"

namespace sidecar::taskdefs {
namespace {

using ::testing::IsEmpty;
using Json = nlohmann::json;

std::string TerraformDir() { return TaskDefinitionsDir() + "/terraform"; }

std::string TemplatePath(const Variant& variant) {
  return TerraformDir() + "/containers/" + variant.stem + ".json.tftpl";
}

// Substitutes ${name} from `values`. Template directives (%{...}), escapes ($${) and names not in
// `values` are reported in `errors`: the templates promise plain placeholders only.
std::string Render(const std::string& text, const std::map<std::string, std::string>& values,
                   std::vector<std::string>& errors) {
  static const std::regex kName("[a-z_]+");
  if (text.find("%{") != std::string::npos) {
    errors.push_back("template directive %{ found");
  }
  if (text.find("$${") != std::string::npos) {
    errors.push_back("escaped $${ found");
  }
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("${", pos);
    if (open == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    const size_t close = text.find('}', open);
    if (close == std::string::npos) {
      errors.push_back("unterminated ${");
      break;
    }
    out += text.substr(pos, open - pos);
    const std::string name = text.substr(open + 2, close - open - 2);
    const auto value = values.find(name);
    if (!std::regex_match(name, kName) || value == values.end()) {
      errors.push_back("unknown placeholder ${" + name + "}");
    } else {
      out += value->second;
    }
    pos = close + 1;
  }
  return out;
}

std::set<std::string> Placeholders(const std::string& text) {
  static const std::regex kPlaceholder(R"(\$\{([a-z_]+)\})");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kPlaceholder);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

// HCL scanning good enough for our own files: strings are "..." with backslash escapes (no
// heredocs), comments start with # or // outside strings.
struct HclScan {
  // The text with comments and brackets inside strings blanked out, offsets unchanged.
  std::string code;
  std::vector<std::string> errors;
};

bool IsBracket(char c) {
  return c == '{' || c == '}' || c == '[' || c == ']' || c == '(' || c == ')';
}

HclScan ScanHcl(const std::string& text) {
  HclScan scan;
  scan.code = text;
  bool in_string = false;
  int interpolation_depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\' && i + 1 < text.size()) {
        scan.code[i + 1] = IsBracket(text[i + 1]) ? ' ' : text[i + 1];
        ++i;
      } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
        ++interpolation_depth;
        scan.code[i + 1] = ' ';
        ++i;
      } else if (c == '}' && interpolation_depth > 0) {
        --interpolation_depth;
        scan.code[i] = ' ';
      } else if (c == '"' && interpolation_depth == 0) {
        in_string = false;
      } else if (c == '\n') {
        scan.errors.push_back("string runs past the end of a line");
        in_string = false;
      } else if (IsBracket(c)) {
        scan.code[i] = ' ';
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      for (; i < text.size() && text[i] != '\n'; ++i) {
        scan.code[i] = ' ';
      }
    }
  }
  if (in_string) {
    scan.errors.push_back("unterminated string");
  }
  std::vector<char> stack;
  for (const char c : scan.code) {
    if (c == '{' || c == '[' || c == '(') {
      stack.push_back(c);
    } else if (c == '}' || c == ']' || c == ')') {
      const char open = c == '}' ? '{' : (c == ']' ? '[' : '(');
      if (stack.empty() || stack.back() != open) {
        scan.errors.push_back(std::string("unbalanced ") + c);
        return scan;
      }
      stack.pop_back();
    }
  }
  if (!stack.empty()) {
    scan.errors.push_back("unclosed " + std::string(1, stack.back()));
  }
  return scan;
}

// The text of the block whose header matches `header` (up to its opening brace), braces
// excluded, or "" if there is none.
std::string BlockBody(const std::string& text, const std::string& header) {
  const HclScan scan = ScanHcl(text);
  std::smatch match;
  if (!std::regex_search(scan.code, match, std::regex(header + R"(\s*\{)"))) {
    return "";
  }
  const size_t open = static_cast<size_t>(match.position(0) + match.length(0)) - 1;
  int depth = 0;
  for (size_t i = open; i < scan.code.size(); ++i) {
    if (scan.code[i] == '{') {
      ++depth;
    } else if (scan.code[i] == '}' && --depth == 0) {
      return text.substr(open + 1, i - open - 1);
    }
  }
  return "";
}

std::vector<std::string> AllMatches(const std::string& text, const std::string& pattern) {
  const std::regex regex(pattern);
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), regex);
       it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1].str());
  }
  return found;
}

// The quoted value of `attribute = "..."` in `body`, if present.
std::optional<std::string> StringAttribute(const std::string& body, const std::string& attribute) {
  std::smatch match;
  if (std::regex_search(body, match, std::regex("\\b" + attribute + R"re(\s*=\s*"([^"]*)")re"))) {
    return match[1].str();
  }
  return std::nullopt;
}

std::string MainTf() { return ReadText(TerraformDir() + "/main.tf"); }

TEST(TerraformTest, EveryFileIsBalanced) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TerraformDir())) {
    if (entry.path().extension() == ".tf") {
      ++count;
      EXPECT_THAT(ScanHcl(ReadText(entry.path().string())).errors, IsEmpty()) << entry.path();
    }
  }
  EXPECT_EQ(count, 4);  // main, variables, outputs, versions
}

TEST(TerraformTest, OneTaskDefinitionResourcePerVariant) {
  const std::string main_tf = MainTf();
  std::vector<std::string> expected;
  for (const Variant& variant : Variants()) {
    expected.push_back(variant.tf_resource);
    const std::string body = BlockBody(
        main_tf, R"(resource\s+"aws_ecs_task_definition"\s+")" + variant.tf_resource + "\"");
    EXPECT_NE(body.find("count = contains(var.variants, \"" + variant.tf_resource + "\") ? 1 : 0"),
              std::string::npos)
        << variant.tf_resource;
  }
  EXPECT_EQ(AllMatches(main_tf, R"re(resource\s+"aws_ecs_task_definition"\s+"(\w+)")re"), expected);
  EXPECT_EQ(AllMatches(main_tf, R"re(resource\s+"(\w+)")re").size(), expected.size());
  // outputs.tf reports every variant.
  const std::string outputs_tf = ReadText(TerraformDir() + "/outputs.tf");
  for (const Variant& variant : Variants()) {
    EXPECT_NE(outputs_tf.find("aws_ecs_task_definition." + variant.tf_resource + " :"),
              std::string::npos)
        << variant.tf_resource;
  }
}

// Every var.X is declared, every declared variable is used, and none has a name Terraform
// reserves for module blocks (a module with `variable "version"` cannot be called).
TEST(TerraformTest, VariablesAreDeclaredUsedAndNotReserved) {
  const std::string variables_tf = ReadText(TerraformDir() + "/variables.tf");
  const std::vector<std::string> declared_list =
      AllMatches(variables_tf, R"re(variable\s+"(\w+)")re");
  const std::set<std::string> declared(declared_list.begin(), declared_list.end());
  std::set<std::string> used;
  for (const char* file : {"/main.tf", "/outputs.tf"}) {
    for (const std::string& name : AllMatches(ReadText(TerraformDir() + file), R"(\bvar\.(\w+))")) {
      used.insert(name);
    }
  }
  EXPECT_EQ(used, declared);
  for (const char* reserved : {"source", "version", "providers", "count", "for_each", "lifecycle",
                               "depends_on", "locals"}) {
    EXPECT_EQ(declared.count(reserved), 0U) << reserved;
  }
  // The `variants` validation accepts exactly the four variants.
  const std::string variants_block = BlockBody(variables_tf, R"(variable\s+"variants")");
  for (const Variant& variant : Variants()) {
    EXPECT_NE(variants_block.find('"' + variant.tf_resource + '"'), std::string::npos);
  }
}

// locals.template_vars passes every placeholder some template uses, and nothing else.
TEST(TerraformTest, TemplateVarsMatchThePlaceholders) {
  const std::string template_vars = BlockBody(MainTf(), R"(template_vars\s*=)");
  ASSERT_FALSE(template_vars.empty());
  const std::vector<std::string> passed_list = AllMatches(template_vars, R"((?:^|\n)\s*(\w+)\s*=)");
  const std::set<std::string> passed(passed_list.begin(), passed_list.end());
  std::set<std::string> used;
  for (const Variant& variant : Variants()) {
    const std::set<std::string> names = Placeholders(ReadText(TemplatePath(variant)));
    used.insert(names.begin(), names.end());
  }
  EXPECT_EQ(passed, used);
}

class TerraformVariantTest : public ::testing::TestWithParam<Variant> {};

// Placeholders sit inside JSON strings, so the raw template is JSON too: any value without quotes
// or backslashes keeps it valid.
TEST_P(TerraformVariantTest, TemplateIsJsonWithPlainPlaceholdersOnly) {
  const std::string text = ReadText(TemplatePath(GetParam()));
  EXPECT_FALSE(Json::parse(text, nullptr, /*allow_exceptions=*/false).is_discarded());
  std::vector<std::string> errors;
  Render(text, ExampleValues(GetParam()), errors);
  EXPECT_THAT(errors, IsEmpty());
}

TEST_P(TerraformVariantTest, RenderedTemplateEqualsTheJsonExample) {
  std::vector<std::string> errors;
  const std::string rendered =
      Render(ReadText(TemplatePath(GetParam())), ExampleValues(GetParam()), errors);
  EXPECT_THAT(errors, IsEmpty());
  const Json containers = Json::parse(rendered, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(containers.is_discarded()) << rendered;
  const Json example = ReadExample(GetParam());
  EXPECT_EQ(containers, example["containerDefinitions"]) << "rendered:\n"
                                                         << containers.dump(2) << "\nexample:\n"
                                                         << example["containerDefinitions"].dump(2);
}

// The resource's task-level arguments are the example's (HCL attribute by attribute).
TEST_P(TerraformVariantTest, ResourceMatchesTheExampleTaskLevelSettings) {
  const Variant& variant = GetParam();
  const std::string body = BlockBody(
      MainTf(), R"(resource\s+"aws_ecs_task_definition"\s+")" + variant.tf_resource + "\"");
  ASSERT_FALSE(body.empty());
  const Json example = ReadExample(variant);

  EXPECT_NE(body.find("templatefile(\"${path.module}/containers/" + variant.stem +
                      ".json.tftpl\", local.template_vars)"),
            std::string::npos);
  EXPECT_THAT(StringAttribute(body, "family"),
              ::testing::Optional("${var.service}-" + variant.stem));
  EXPECT_EQ("checkout-" + variant.stem, example.value("family", ""));
  EXPECT_TRUE(std::regex_search(
      body, std::regex(R"(\bexecution_role_arn\s*=\s*var\.execution_role_arn\b)")));

  const std::map<std::string, std::string> attributes = {{"network_mode", "networkMode"},
                                                         {"cpu", "cpu"},
                                                         {"memory", "memory"},
                                                         {"pid_mode", "pidMode"}};
  for (const auto& [hcl, api] : attributes) {
    const std::optional<std::string> expected =
        example.contains(api) ? std::optional(example[api].get<std::string>()) : std::nullopt;
    EXPECT_EQ(StringAttribute(body, hcl), expected) << hcl;
  }

  std::smatch compat;
  ASSERT_TRUE(std::regex_search(body, compat,
                                std::regex(R"re(requires_compatibilities\s*=\s*\["(\w+)"\])re")));
  EXPECT_EQ(Json::array({compat[1].str()}), example["requiresCompatibilities"]);

  std::vector<std::string> example_volumes;
  for (const Json& volume : example.value("volumes", Json::array())) {
    example_volumes.push_back(volume.value("name", ""));
  }
  EXPECT_EQ(AllMatches(body, R"re(volume\s*\{\s*name\s*=\s*"([^"]+)"\s*\})re"), example_volumes);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, TerraformVariantTest, ::testing::ValuesIn(Variants()),
                         VariantTestName);

TEST(TerraformHelpersTest, RenderReportsDirectivesAndUnknownNames) {
  std::vector<std::string> errors;
  EXPECT_EQ(Render(R"({"a": "${env}-${nope}"})", {{"env", "prod"}}, errors), R"({"a": "prod-"})");
  EXPECT_EQ(errors.size(), 1U);
  errors.clear();
  Render("%{ if x }y%{ endif }", {}, errors);
  EXPECT_EQ(errors.size(), 1U);
}

TEST(TerraformHelpersTest, ScanFindsUnbalancedBlocksAndIgnoresStringsAndComments) {
  EXPECT_THAT(ScanHcl("a = \"${var.x}-{\" # }\nb { c = [1] }\n").errors, IsEmpty());
  EXPECT_THAT(ScanHcl("b { c = [1 }\n").errors, ::testing::SizeIs(1));
  EXPECT_THAT(ScanHcl("b { c = \"x }\n").errors, ::testing::Not(IsEmpty()));
  EXPECT_EQ(BlockBody("x { y { z = 1 } }\nw { v = 2 }", "w"), " v = 2 ");
}

}  // namespace
}  // namespace sidecar::taskdefs
