// The device-grant presenter: the QR code drawn with half blocks is deterministic, decodes back
// to libqrencode's own symbol (quiet zone, finder patterns, every module), falls back to plain
// text when it cannot be drawn, and the PAM conversation shows it even under PAM_SILENT.
#include <gtest/gtest.h>
#include <qrencode.h>
#include <security/pam_appl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "pam_conversation.hpp"
#include "present/qr_presenter.hpp"

namespace oidc_sysauth {
namespace {

constexpr const char* kUrl = "https://idp.example/device?user_code=WDJB-MJHT";

// Splits the drawing into lines of glyphs, then back into a light/dark module grid.
std::vector<std::vector<bool>> modules_of(const std::string& drawing) {
  std::vector<std::vector<bool>> rows;
  std::size_t start = 0;
  while (start <= drawing.size()) {
    std::size_t end = drawing.find('\n', start);
    if (end == std::string::npos) end = drawing.size();
    const std::string line = drawing.substr(start, end - start);
    std::vector<bool> top;
    std::vector<bool> bottom;
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] == ' ') {
        top.push_back(false);
        bottom.push_back(false);
        ++i;
        continue;
      }
      const std::string glyph = line.substr(i, 3);
      EXPECT_TRUE(glyph == "\u2588" || glyph == "\u2580" || glyph == "\u2584") << "unexpected glyph in " << line;
      top.push_back(glyph == "\u2588" || glyph == "\u2580");
      bottom.push_back(glyph == "\u2588" || glyph == "\u2584");
      i += 3;
    }
    rows.push_back(top);
    rows.push_back(bottom);
    start = end + 1;
  }
  return rows;
}

struct QrDeleter {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};

TEST(QrRender, DeterministicForAGivenUrl) {
  auto first = render_qr_half_blocks(kUrl);
  auto second = render_qr_half_blocks(kUrl);
  ASSERT_TRUE(first) << first.error().detail;
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
  auto other = render_qr_half_blocks("https://idp.example/device?user_code=WDJB-MJHX");
  ASSERT_TRUE(other);
  EXPECT_NE(*first, *other);
}

// Pinned: the same URL must draw the same code on every build and host (this one was checked
// with zbarimg, which decodes it back to kUrl).
TEST(QrRender, GoldenDrawing) {
  // clang-format off: one literal per line of the drawing
  const std::string expected =
      "█████████████████████████████████\n"
      "██ ▄▄▄▄▄ █▀▄█▀ ▄▀ ▄█▀▄▀█ ▄▄▄▄▄ ██\n"
      "██ █   █ █▄   ▄▀ ▀█▄ ▀▄█ █   █ ██\n"
      "██ █▄▄▄█ █ ▀█▀█▄█ ▄▄▄▀▀█ █▄▄▄█ ██\n"
      "██▄▄▄▄▄▄▄█ ▀▄█ █ ▀▄▀ █ █▄▄▄▄▄▄▄██\n"
      "██▄ ▀▄█▀▄ ▀█ ▀█▀▄█ ▀██▀▀ ▄▄▀▄▄▀██\n"
      "███ ▄▄ █▄██▄▄██ ▀█ ▄ ▄█▄█▀▀▄  ███\n"
      "██ █▄ ▀▄▄▀██▀▀ ▀█▄▄ █ ▄▄▄▀█▄█▄▄██\n"
      "██▀▀▄█▀ ▄▀█▀ █  ███ ▀▀ ▀█ ▄ ▄ ▄██\n"
      "██▄▄█▄ █▄█▀ ▄▄▄ ▀█▀  ▄▄ ▀ █▀█▄▀██\n"
      "██▄█▀   ▄  ▄█▀ ▄▄██ ▀█ █ █▄██  ██\n"
      "██▄█▄▄█▄▄█▀▄█ ▀▄█ ▀▀▀  ▄▄▄ █ ▀▀██\n"
      "██ ▄▄▄▄▄ █▄▀▄█▄ ████▀█ █▄█ ▀▀ ▀██\n"
      "██ █   █ █▀▀█  ▀███ ▀█▄▄   ▀▀ ███\n"
      "██ █▄▄▄█ █▀▀▀▄▄▀ ▀▀▀ █▀█▀█▄▄▄▀▄██\n"
      "██▄▄▄▄▄▄▄█▄▄▄▄▄▄███▄██▄▄███▄█▄███\n"
      "▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀";
  // clang-format on
  auto drawing = render_qr_half_blocks(kUrl);
  ASSERT_TRUE(drawing);
  EXPECT_EQ(*drawing, expected) << *drawing;
}

TEST(QrRender, DecodesBackToLibqrencodesSymbolWithAQuietZone) {
  const std::string url = kUrl;
  for (int quiet : {0, 1, 2, 4}) {
    auto drawing = render_qr_half_blocks(url, QrRenderOptions{quiet, 200});
    ASSERT_TRUE(drawing) << drawing.error().detail;
    std::unique_ptr<QRcode, QrDeleter> code(QRcode_encodeData(
        static_cast<int>(url.size()), reinterpret_cast<const unsigned char*>(url.data()), 0, QR_ECLEVEL_L));
    ASSERT_TRUE(code);
    const int size = code->width + 2 * quiet;
    auto grid = modules_of(*drawing);
    ASSERT_EQ(grid.size(), static_cast<std::size_t>((size + 1) / 2 * 2)) << "quiet " << quiet;
    for (int y = 0; y < size; ++y) {
      ASSERT_EQ(grid[y].size(), static_cast<std::size_t>(size));
      for (int x = 0; x < size; ++x) {
        const int cx = x - quiet;
        const int cy = y - quiet;
        const bool inside = cx >= 0 && cy >= 0 && cx < code->width && cy < code->width;
        const bool light = inside ? (code->data[cy * code->width + cx] & 1) == 0 : true;
        ASSERT_EQ(grid[y][x], light) << "module " << x << "," << y << " quiet " << quiet;
      }
    }
    // An odd number of rows: the half below the last one is the terminal's background.
    if (size % 2 == 1) {
      for (bool module : grid.back()) EXPECT_FALSE(module);
    }
    // The three finder patterns: a dark 7x7 ring at the top left, top right and bottom left.
    for (auto [ox, oy] : {std::pair{0, 0}, std::pair{code->width - 7, 0}, std::pair{0, code->width - 7}}) {
      for (int i = 0; i < 7; ++i) {
        EXPECT_FALSE(grid[quiet + oy][quiet + ox + i]);
        EXPECT_FALSE(grid[quiet + oy + 6][quiet + ox + i]);
        EXPECT_FALSE(grid[quiet + oy + i][quiet + ox]);
        EXPECT_FALSE(grid[quiet + oy + i][quiet + ox + 6]);
      }
    }
  }
}

TEST(QrRender, ShortUrlIsSmallEnoughForAnyTerminal) {
  auto drawing = render_qr_half_blocks(kUrl);
  ASSERT_TRUE(drawing);
  auto grid = modules_of(*drawing);
  // 46 bytes: version 3 (29 modules) + 2 × 2 quiet = 33 columns, 17 lines.
  EXPECT_EQ(grid.front().size(), 33u);
  EXPECT_EQ(std::count(drawing->begin(), drawing->end(), '\n'), 16);
}

TEST(QrRender, RefusesWhatCannotBeDrawn) {
  EXPECT_EQ(render_qr_half_blocks("").error().reason, "empty");
  auto narrow = render_qr_half_blocks(kUrl, QrRenderOptions{2, 20});
  ASSERT_FALSE(narrow);
  EXPECT_EQ(narrow.error().reason, "too_wide");
  EXPECT_EQ(narrow.error().code, ErrorCode::kInvalidArgument);
  const std::string long_url = "https://idp.example/device?user_code=" + std::string(600, 'A');
  auto wide = render_qr_half_blocks(long_url);  // fits a QR code, not a terminal
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().reason, "too_wide");
  EXPECT_EQ(render_qr_half_blocks(std::string(4000, 'a'), QrRenderOptions{2, 1000}).error().reason, "too_long");
  EXPECT_EQ(render_qr_half_blocks(kUrl, QrRenderOptions{-1, 80}).error().reason, "bad_option");
}

TEST(QrRender, BytesAfterANulAreEncodedToo) {
  const std::string with_nul("https://x/\0a", 12);
  const std::string cut("https://x/", 10);
  ASSERT_TRUE(render_qr_half_blocks(with_nul));
  EXPECT_NE(*render_qr_half_blocks(with_nul), *render_qr_half_blocks(cut));
}

// Records which channel each message took.
class RecordingConversation final : public Conversation {
 public:
  Result<Secret> prompt_hidden(std::string_view) override { return fail(ErrorCode::kConversation, "no prompts"); }
  Result<std::string> prompt_visible(std::string_view) override { return fail(ErrorCode::kConversation, "no prompts"); }
  void info(std::string_view text) override { infos.emplace_back(text); }
  void instructions(std::string_view text) override { shown.emplace_back(text); }
  void error(std::string_view text) override { errors.emplace_back(text); }
  std::vector<std::string> infos, shown, errors;
};

DeviceCodeDisplay display(std::string complete) {
  return DeviceCodeDisplay{"https://idp.example/device", std::move(complete), "WDJB-MJHT", 600};
}

TEST(QrPresenter, QrCodeThenTheTextAsInstructions) {
  RecordingConversation conv;
  QrDevicePresenter().present(conv, display(kUrl));
  EXPECT_TRUE(conv.infos.empty());  // never through the channel PAM_SILENT suppresses
  ASSERT_EQ(conv.shown.size(), 2u);
  EXPECT_EQ(conv.shown[0], *render_qr_half_blocks(kUrl));
  EXPECT_EQ(conv.shown[1],
            "To sign in, open https://idp.example/device?user_code=WDJB-MJHT\n"
            "(or open https://idp.example/device and enter the code WDJB-MJHT)\n"
            "The code is valid for 10 minutes.");
}

TEST(QrPresenter, WithoutACompleteUriTheQrCodeCarriesTheVerificationUri) {
  RecordingConversation conv;
  QrDevicePresenter().present(conv, display(""));
  ASSERT_EQ(conv.shown.size(), 2u);
  EXPECT_EQ(conv.shown[0], *render_qr_half_blocks("https://idp.example/device"));
  EXPECT_EQ(conv.shown[1],
            "To sign in, open https://idp.example/device and enter the code WDJB-MJHT\n"
            "The code is valid for 10 minutes.");
}

TEST(QrPresenter, FallsBackToTextWhenTheCodeCannotBeDrawn) {
  RecordingConversation conv;
  QrDevicePresenter().present(conv, display("https://idp.example/device?user_code=" + std::string(600, 'A')));
  ASSERT_EQ(conv.shown.size(), 1u);  // text only, still with the URL and the code
  EXPECT_NE(conv.shown[0].find("enter the code WDJB-MJHT"), std::string::npos);

  RecordingConversation plain;
  QrDevicePresenter(false).present(plain, display(kUrl));
  ASSERT_EQ(plain.shown.size(), 1u);
  EXPECT_NE(plain.shown[0].find(kUrl), std::string::npos);
  EXPECT_EQ(plain.shown[0].find("\u2588"), std::string::npos);
}

TEST(QrPresenter, ValidityIsRoundedUpToMinutes) {
  DeviceCodeDisplay d = display("");
  d.expires_in = 61;
  EXPECT_NE(device_code_text(d).find("valid for 2 minutes"), std::string::npos);
  d.expires_in = 60;
  EXPECT_NE(device_code_text(d).find("valid for 1 minute."), std::string::npos);
  d.expires_in = 0;
  EXPECT_EQ(device_code_text(d).find("valid for"), std::string::npos);
}

// The real libpam: a handle whose conversation records every message style.
struct Recorded {
  std::vector<std::pair<int, std::string>> messages;
};

int record_conv(int n, const pam_message** msg, pam_response** resp, void* data) {
  auto* recorded = static_cast<Recorded*>(data);
  for (int i = 0; i < n; ++i) recorded->messages.emplace_back(msg[i]->msg_style, msg[i]->msg);
  *resp = nullptr;
  return PAM_SUCCESS;
}

TEST(PamConversationSilent, InstructionsAreShownEvenUnderPamSilent) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("qr-pam-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "qrtest") << "auth required pam_permit.so\n";
  Recorded recorded;
  const pam_conv conv{record_conv, &recorded};
  pam_handle_t* pamh = nullptr;
  ASSERT_EQ(pam_start_confdir("qrtest", "alice", &conv, dir.c_str(), &pamh), PAM_SUCCESS);
  {
    PamConversation silent(pamh, true);
    silent.info("suppressed");
    silent.instructions("shown");
    QrDevicePresenter().present(silent, display(kUrl));
  }
  pam_end(pamh, PAM_SUCCESS);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(recorded.messages.size(), 3u);
  EXPECT_EQ(recorded.messages[0], std::make_pair(PAM_TEXT_INFO, std::string("shown")));
  EXPECT_EQ(recorded.messages[1].first, PAM_TEXT_INFO);
  EXPECT_EQ(recorded.messages[1].second, *render_qr_half_blocks(kUrl));
  EXPECT_NE(recorded.messages[2].second.find("WDJB-MJHT"), std::string::npos);
}

}  // namespace
}  // namespace oidc_sysauth
