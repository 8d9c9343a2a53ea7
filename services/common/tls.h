// TLS for grantflowd and its clients, from PEM files. With a certificate and
// key grantflowd serves TLS; with a CA as well it asks every caller for a
// client certificate and verifies any it is shown (mutual TLS): a peer
// service is known by its certificate, people by their tokens.
#ifndef GRANTFLOW_SERVICES_COMMON_TLS_H_
#define GRANTFLOW_SERVICES_COMMON_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace grantflow {

struct TlsFiles {
  std::string cert;  // this side's certificate chain (PEM)
  std::string key;   // its private key (PEM)
  std::string ca;    // the CA that signs every grantflowd certificate
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// Insecure credentials when `files` is empty (loopback development); TLS
// with the certificate and key, requesting and verifying client
// certificates when the CA is given. INVALID_ARGUMENT when only one of cert
// and key is given; NOT_FOUND when a file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsFiles& files);

// Insecure credentials when `files` is empty; otherwise TLS trusting the CA
// (or the system's roots without one), presenting the certificate and key
// when given (a service calling its peers). NOT_FOUND for an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const TlsFiles& files);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_TLS_H_
