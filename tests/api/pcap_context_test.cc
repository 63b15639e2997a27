// io = pcap through mTCP's API: a context destroyed and created again opens its interface again
// (it was closed with the context). Needs root to open a live interface; run on loopback, where
// nothing is sent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "mtcp_api.h"
#include "mtcpp_ext.h"

namespace {

TEST(PcapContext, ADestroyedContextCanBeCreatedAgain) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to open a live interface (CI runs as root)";
  const std::string conf = "io = pcap\nport = lo\nnum_cores = 1\naddress = 127.77.0.1/8\nmac = 02:00:00:77:00:01\n";
  ASSERT_EQ(mtcpp_init_text(conf.c_str(), "pcap.conf"), 0) << "errno " << errno;
  mctx_t c = mtcp_create_context(0);
  ASSERT_NE(c, nullptr);
  EXPECT_GE(mtcp_socket(c, AF_INET, SOCK_STREAM, 0), 0);
  EXPECT_EQ(mtcp_create_context(0), nullptr);  // taken while it lives
  EXPECT_EQ(errno, EEXIST);
  mtcp_destroy_context(c);
  c = mtcp_create_context(0);
  ASSERT_NE(c, nullptr) << "errno " << errno;
  EXPECT_GE(mtcp_socket(c, AF_INET, SOCK_STREAM, 0), 0);
  mtcp_destroy_context(c);
  mtcp_destroy();
}

}  // namespace
