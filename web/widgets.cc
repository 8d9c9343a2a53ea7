#include "web/widgets.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "web/forms.h"

namespace grantflow::web {

Json TextInput(const std::string& id, const std::string& label,
               const std::string& value, const std::string& hint,
               const std::string& width) {
  return {{"is_text", true}, {"id", id},     {"name", id},    {"label", label},
          {"value", value},  {"hint", hint}, {"width", width}};
}

Json MoneyInput(const std::string& id, const std::string& label,
                const std::string& value, const std::string& hint) {
  Json f = TextInput(id, label, value, hint, "10");
  f["prefix"] = "\xC2\xA3";
  f["inputmode"] = "decimal";
  return f;
}

Json TextArea(const std::string& id, const std::string& label,
              const std::string& value, const std::string& hint, int rows) {
  return {{"is_textarea", true},
          {"id", id},
          {"name", id},
          {"label", label},
          {"value", value},
          {"hint", hint},
          {"rows", std::to_string(rows)}};
}

Json DateInput(const std::string& id, const std::string& label,
               const std::string& iso, const std::string& hint) {
  const DateParts p = SplitIsoDate(iso);
  return {{"is_date", true},  {"id", id},      {"name", id},
          {"label", label},   {"hint", hint},  {"day", p.day},
          {"month", p.month}, {"year", p.year}};
}

namespace {
Json Options(const std::string& id,
             const std::vector<std::pair<std::string, std::string>>& options,
             const std::vector<std::string>& chosen) {
  Json out = Json::array();
  int i = 0;
  for (const auto& [value, text] : options) {
    bool checked = false;
    for (const std::string& c : chosen) checked = checked || c == value;
    // The first option takes the group's id, so an error summary's link
    // lands on an input.
    out.push_back(
        {{"value", value},
         {"text", text},
         {"checked", checked},
         {"option_id", i == 0 ? id : id + "-" + std::to_string(i + 1)}});
    ++i;
  }
  return out;
}
}  // namespace

Json Choice(const std::string& id, const std::string& label,
            const std::vector<std::pair<std::string, std::string>>& options,
            const std::vector<std::string>& chosen, bool multiple,
            const std::string& hint, bool small) {
  return {{"is_choice", true}, {"id", id},
          {"name", id},        {"label", label},
          {"hint", hint},      {"multiple", multiple},
          {"small", small},    {"options", Options(id, options, chosen)}};
}

Json Select(const std::string& id, const std::string& label,
            const std::vector<std::pair<std::string, std::string>>& options,
            const std::string& chosen, const std::string& hint) {
  return {{"is_select", true}, {"id", id},
          {"name", id},        {"label", label},
          {"hint", hint},      {"options", Options(id, options, {chosen})}};
}

Json YesNo(const std::string& id, const std::string& label, bool yes,
           bool answered, const std::string& hint) {
  std::vector<std::string> chosen;
  if (answered) chosen.push_back(yes ? "yes" : "no");
  return Choice(id, label, {{"yes", "Yes"}, {"no", "No"}}, chosen, false, hint,
                true);
}

Json Cell(const std::string& text, const std::string& href) {
  return {{"text", text}, {"href", href}};
}
Json NumberCell(const std::string& text) {
  return {{"text", text}, {"numeric", true}};
}
Json TagCell(const std::string& text, const std::string& colour) {
  return {{"text", text}, {"tag", colour}};
}

Json Table(const std::string& caption, const std::vector<std::string>& headers,
           const std::vector<bool>& numeric, Json rows) {
  Json h = Json::array();
  for (size_t i = 0; i < headers.size(); ++i) {
    h.push_back(
        {{"text", headers[i]}, {"numeric", i < numeric.size() && numeric[i]}});
  }
  Json r = Json::array();
  for (auto& row : rows) {
    Json cells = Json::array();
    for (auto& c : row) {
      cells.push_back(c.is_string() ? Json{{"text", c}} : c);
    }
    r.push_back({{"cells", cells}});
  }
  return {{"table", {{"caption", caption}, {"headers", h}, {"rows", r}}}};
}

Json SummaryRow(const std::string& key, const std::string& value,
                const std::string& change) {
  Json lines = Json::array();
  if (value.find('\n') != std::string::npos) {
    for (absl::string_view l : absl::StrSplit(value, '\n', absl::SkipEmpty())) {
      lines.push_back(std::string(l));
    }
  }
  return {{"key", key},
          {"value", value.empty() ? "Not answered yet" : value},
          {"lines", lines},
          {"action_href", change}};
}

std::string IdOf(std::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == std::string_view::npos ? name
                                                     : name.substr(slash + 1));
}

std::string ScoreText(int32_t bp) {
  if (bp < 0) return "Not yet";
  return absl::StrFormat("%d.%02d%%", bp / 100, bp % 100);
}

std::string WhenText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return LondonTime(absl::FromUnixSeconds(t.seconds()));
}

}  // namespace grantflow::web
