#include "web/view.h"

#include <memory>

#include "kainjow/mustache.hpp"

namespace grantflow::web {
namespace {

namespace mus = kainjow::mustache;

mus::data ToData(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mus::data d{mus::data::type::object};
      for (auto it = j.begin(); it != j.end(); ++it) {
        d.set(it.key(), ToData(it.value()));
      }
      return d;
    }
    case nlohmann::json::value_t::array: {
      mus::data d{mus::data::type::list};
      for (const auto& v : j) d.push_back(ToData(v));
      return d;
    }
    case nlohmann::json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (s.empty()) return mus::data(false);
      return mus::data(s);
    }
    case nlohmann::json::value_t::boolean:
      return mus::data(j.get<bool>());
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return mus::data(false);
    default:
      return mus::data(j.dump());
  }
}

std::string Render(const std::string& name, const nlohmann::json& model) {
  const auto& templates = EmbeddedTemplates();
  auto it = templates.find(name);
  if (it == templates.end()) {
    return "<p class=\"govuk-body\">Sorry, this page is missing.</p>";
  }
  mus::mustache tmpl(it->second);
  mus::data data = ToData(model);
  // {{> inputs}}: the shared GOV.UK form inputs, for any template.
  auto inputs = templates.find("inputs");
  const std::string inputs_text =
      inputs == templates.end() ? "" : inputs->second;
  data.set("inputs", mus::partial([inputs_text]() { return inputs_text; }));
  return tmpl.render(data);
}

}  // namespace

std::string RenderPage(const std::string& name, const nlohmann::json& model,
                       const nlohmann::json& layout) {
  nlohmann::json l = layout;
  l["content"] = Render(name, model);
  return Render("layout", l);
}

}  // namespace grantflow::web
