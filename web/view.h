// Server-rendered HTML: a page's model (JSON) rendered through its mustache
// template (kainjow, HTML-escaping every {{value}}) inside the GOV.UK
// layout. Templates are compiled in (web/templates, embedded at build time).
// Thread-safe: templates are parsed once and only read afterwards.
#ifndef GRANTFLOW_WEB_VIEW_H_
#define GRANTFLOW_WEB_VIEW_H_

#include <map>
#include <string>

#include "nlohmann/json.hpp"

namespace grantflow::web {

// The templates of web/templates by file name without extension.
const std::map<std::string, std::string>& EmbeddedTemplates();

// Renders template `name` with `model`, then the layout with `layout` and
// the result as its "content". Empty strings in models count as absent
// ({{#x}} sections skip them). Unknown template: a plain error page.
std::string RenderPage(const std::string& name, const nlohmann::json& model,
                       const nlohmann::json& layout);

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_VIEW_H_
