// Builders for the page models the templates render: GOV.UK inputs, tables
// and summary lists as JSON, so every page module says what it shows and
// the templates say how. Pure functions; thread-safe.
#ifndef GRANTFLOW_WEB_WIDGETS_H_
#define GRANTFLOW_WEB_WIDGETS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"

namespace grantflow::web {

using Json = nlohmann::json;

Json TextInput(const std::string& id, const std::string& label,
               const std::string& value, const std::string& hint = "",
               const std::string& width = "");
// A pounds input ("£" before it, decimal keyboard on phones).
Json MoneyInput(const std::string& id, const std::string& label,
                const std::string& value, const std::string& hint = "");
Json TextArea(const std::string& id, const std::string& label,
              const std::string& value, const std::string& hint = "",
              int rows = 5);
// Day / month / year inputs named ID-day, ID-month, ID-year.
Json DateInput(const std::string& id, const std::string& label,
               const std::string& iso, const std::string& hint = "");
// Radios (one answer) or checkboxes (`multiple`): options as (value, text).
Json Choice(const std::string& id, const std::string& label,
            const std::vector<std::pair<std::string, std::string>>& options,
            const std::vector<std::string>& chosen, bool multiple,
            const std::string& hint = "", bool small = false);
Json Select(const std::string& id, const std::string& label,
            const std::vector<std::pair<std::string, std::string>>& options,
            const std::string& chosen, const std::string& hint = "");
Json YesNo(const std::string& id, const std::string& label, bool yes,
           bool answered, const std::string& hint = "");

// A table block: headers, then rows of cells. A cell is text, or
// {"text", "href"}, {"text", "tag"} (a GOV.UK tag colour), {"numeric"}.
Json Cell(const std::string& text, const std::string& href = "");
Json NumberCell(const std::string& text);
Json TagCell(const std::string& text, const std::string& colour);
Json Table(const std::string& caption, const std::vector<std::string>& headers,
           const std::vector<bool>& numeric, Json rows);

// A summary list row; `change` links to where it is answered.
Json SummaryRow(const std::string& key, const std::string& value,
                const std::string& change = "");

// The last segment of a resource name: "x1" for "applications/x1".
std::string IdOf(std::string_view name);

// A score in basis points as a percentage ("72.50%"); "Not yet" when
// negative (not known yet).
std::string ScoreText(int32_t bp);

// "12:00 on 14 March 2025" for a timestamp; "" when unset.
std::string WhenText(const google::protobuf::Timestamp& t);

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_WIDGETS_H_
