// What a device-grant login shows the person: a QR code of the verification URL drawn with
// Unicode half blocks, then the URL and user code as plain text (always, so a terminal that
// cannot show the code, or a person who cannot scan it, still has everything needed).
// Shared by the faces that talk to a person (PAM, the CLI); links libqrencode, which the
// SASL plugin and the NSS module never load.
#pragma once

#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "result.hpp"

namespace oidc_sysauth {

struct QrRenderOptions {
  int quiet_zone = 2;    // light modules around the code; scanners need a margin
  int max_columns = 80;  // wider codes are not drawn: they wrap on a normal terminal
};

// The QR code (byte mode, error correction L) of `text` as lines of "▀▄█ ", two module
// rows per line, light modules drawn as blocks: the polarity `qrencode -t UTF8` uses, right
// for the usual light-on-dark terminal (phone scanners also read the inverse).
// Deterministic for a given text. kInvalidArgument when the text is empty or the code would
// be wider than max_columns; kNoMemory / kInternal when libqrencode fails.
Result<std::string> render_qr_half_blocks(std::string_view text, const QrRenderOptions& options = {});

// The plain text part: the URL to open (the complete one when the IdP sent it) and the code.
std::string device_code_text(const DeviceCodeDisplay& display);

class QrDevicePresenter final : public DeviceGrantPresenter {
 public:
  // draw_qr false: text only (the CLI passes false when stderr is no UTF-8 terminal).
  explicit QrDevicePresenter(bool draw_qr = true, QrRenderOptions options = {}) noexcept
      : draw_qr_(draw_qr), options_(options) {}

  // Two PAM_TEXT_INFO-style messages: the QR code (when it can be drawn), then the text.
  // Separate so that an application refusing the large one still delivers the text.
  void present(Conversation& conversation, const DeviceCodeDisplay& display) override;

 private:
  bool draw_qr_;
  QrRenderOptions options_;
};

}  // namespace oidc_sysauth
