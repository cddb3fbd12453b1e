#include "present/qr_presenter.hpp"

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace oidc_sysauth {
namespace {

struct QrCodeDeleter {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};
using QrCodePtr = std::unique_ptr<QRcode, QrCodeDeleter>;

// The glyph for a pair of vertically stacked modules (true = light = drawn).
constexpr std::string_view kBoth = "\u2588";   // █
constexpr std::string_view kUpper = "\u2580";  // ▀
constexpr std::string_view kLower = "\u2584";  // ▄
constexpr std::string_view kNone = " ";

// A view of the code with its quiet zone: light outside the symbol.
class Modules {
 public:
  Modules(const QRcode& code, int quiet) noexcept : code_(code), quiet_(quiet) {}
  [[nodiscard]] int size() const noexcept { return code_.width + 2 * quiet_; }
  [[nodiscard]] bool light(int x, int y) const noexcept {
    const int cx = x - quiet_;
    const int cy = y - quiet_;
    if (cx < 0 || cy < 0 || cx >= code_.width || cy >= code_.width) return y < size();
    // libqrencode: bit 0 set = dark module.
    return (code_.data[static_cast<std::size_t>(cy) * static_cast<std::size_t>(code_.width) +
                       static_cast<std::size_t>(cx)] &
            1U) == 0;
  }

 private:
  const QRcode& code_;
  int quiet_;
};

std::string minutes_text(std::int64_t seconds) {
  if (seconds <= 0) return {};
  const std::int64_t minutes = (seconds + 59) / 60;
  return "\nThe code is valid for " + std::to_string(minutes) + (minutes == 1 ? " minute." : " minutes.");
}

}  // namespace

Result<std::string> render_qr_half_blocks(std::string_view text, const QrRenderOptions& options) {
  if (text.empty()) return fail(ErrorCode::kInvalidArgument, "nothing to encode", "empty");
  if (options.quiet_zone < 0 || options.quiet_zone > 8)
    return fail(ErrorCode::kInvalidArgument, "quiet zone out of range", "bad_option");
  // Byte mode, not libqrencode's mode detection: the same input always gives the same symbol
  // and a NUL inside the text cannot cut it short.
  errno = 0;
  QrCodePtr code(QRcode_encodeData(static_cast<int>(text.size()), reinterpret_cast<const unsigned char*>(text.data()),
                                   0, QR_ECLEVEL_L));
  if (!code) {
    if (errno == ENOMEM) return fail(ErrorCode::kNoMemory, "libqrencode: out of memory");
    if (errno == ERANGE) return fail(ErrorCode::kInvalidArgument, "text too long for a QR code", "too_long");
    return fail(ErrorCode::kInternal, "libqrencode could not encode the text", "encode_failed");
  }
  const Modules modules(*code, options.quiet_zone);
  const int size = modules.size();
  if (size > options.max_columns)
    return fail(ErrorCode::kInvalidArgument,
                "QR code " + std::to_string(size) + " columns wide, more than " + std::to_string(options.max_columns),
                "too_wide");
  std::string out;
  out.reserve(static_cast<std::size_t>(size) * static_cast<std::size_t>(size + 1) * 2);
  for (int y = 0; y < size; y += 2) {
    if (y > 0) out += '\n';
    for (int x = 0; x < size; ++x) {
      const bool top = modules.light(x, y);
      const bool bottom = modules.light(x, y + 1);  // past the last row: terminal background
      out += top && bottom ? kBoth : top ? kUpper : bottom ? kLower : kNone;
    }
  }
  return out;
}

std::string device_code_text(const DeviceCodeDisplay& d) {
  std::string text;
  if (!d.verification_uri_complete.empty()) {
    text = "To sign in, open " + d.verification_uri_complete + "\n(or open " + d.verification_uri +
           " and enter the code " + d.user_code + ")";
  } else {
    text = "To sign in, open " + d.verification_uri + " and enter the code " + d.user_code;
  }
  return text + minutes_text(d.expires_in);
}

void QrDevicePresenter::present(Conversation& conversation, const DeviceCodeDisplay& display) {
  if (draw_qr_) {
    const std::string& url =
        display.verification_uri_complete.empty() ? display.verification_uri : display.verification_uri_complete;
    // A code that cannot be drawn (too long, no memory) is not an error: the text follows.
    if (auto qr = render_qr_half_blocks(url, options_)) conversation.instructions(*qr);
  }
  conversation.instructions(device_code_text(display));
}

}  // namespace oidc_sysauth
