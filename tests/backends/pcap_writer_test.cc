#include "backends/wrappers/pcap_writer.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "backends/memory/memory_link.h"
#include "backends/memory/memory_pipe.h"
#include "tests/backends/test_frames.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;
using test::Frame;
using test::kMacA;
using test::kMacB;

struct Record {
  std::int64_t ts_us;
  Frame bytes;
};

std::string capture_path(const std::string& name) {
  return ::testing::TempDir() + "mtcpp_" + name + "_" + std::to_string(::getpid()) + ".pcap";
}

std::vector<Record> read_capture(const std::string& path) {
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* file = pcap_open_offline(path.c_str(), error);
  EXPECT_NE(file, nullptr) << error;
  std::vector<Record> records;
  if (file == nullptr) return records;
  EXPECT_EQ(pcap_datalink(file), DLT_EN10MB);
  pcap_pkthdr* header;
  const u_char* data;
  while (pcap_next_ex(file, &header, &data) == 1) {
    EXPECT_EQ(header->caplen, header->len);
    records.push_back({std::int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec,
                       Frame(data, data + header->caplen)});
  }
  pcap_close(file);
  return records;
}

TEST(PcapWriter, RecordsSentAndReceivedFramesWithTheStackTime) {
  const std::string path = capture_path("records");
  const Frame syn = test::tcp_frame(kMacA, kMacB, tcp_flag::syn, 100);
  const Frame data = test::tcp_frame(kMacA, kMacB, tcp_flag::ack | tcp_flag::psh, 101, 300);
  const Frame reply = test::tcp_frame(kMacB, kMacA, tcp_flag::syn | tcp_flag::ack, 500);
  {
    MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
    MemoryLink link(a, b, {.delay = 250us});
    auto [writer, error] = PcapWriter::open(a, path);
    ASSERT_NE(writer, nullptr) << error;
    EXPECT_EQ(writer->caps().mac, kMacA);

    ASSERT_TRUE(test::send(*writer, syn, from_us(1'000'000)));
    ASSERT_TRUE(test::send(b, reply, from_us(1'000'100)));
    EXPECT_EQ(writer->next_rx_time(), from_us(1'000'350));
    ASSERT_EQ(test::receive(*writer, from_us(1'000'400)).size(), 1u);
    ASSERT_TRUE(test::send(*writer, data, from_us(2'500'001)));
    EXPECT_EQ(writer->frames_written(), 3u);
    EXPECT_EQ(test::receive(b, from_us(3'000'000)).size(), 2u);
    EXPECT_EQ(a.pool().in_use(), 0u);
  }  // the writer closes the file here

  const auto records = read_capture(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].ts_us, 1'000'000);
  EXPECT_EQ(records[0].bytes, syn);
  EXPECT_EQ(records[1].ts_us, 1'000'400);  // when the stack received it, not when it arrived
  EXPECT_EQ(records[1].bytes, reply);
  EXPECT_EQ(records[2].ts_us, 2'500'001);
  EXPECT_EQ(records[2].bytes, data);

  // tshark is part of the toolchain (scripts/setup): a missing one is a broken setup, not a skip.
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/tshark")) << "run scripts/setup to install tshark";
  const std::string command = "/usr/bin/tshark -r '" + path + "' > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::remove(path);
}

TEST(PcapWriter, SameRunWritesTheSameFile) {
  auto write_run = [](const std::string& path) {
    MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
    MemoryLink link(a, b);
    auto [writer, error] = PcapWriter::open(a, path);
    EXPECT_NE(writer, nullptr) << error;
    if (!writer) return;
    for (std::uint32_t seq = 0; seq < 5; ++seq) {
      EXPECT_TRUE(test::send(*writer, test::tcp_frame(kMacA, kMacB, tcp_flag::ack, seq, seq * 10),
                             from_us(seq * 1000)));
    }
  };
  const std::string first = capture_path("same1"), second = capture_path("same2");
  write_run(first);
  write_run(second);
  const auto size = std::filesystem::file_size(first);
  EXPECT_EQ(size, std::filesystem::file_size(second));
  EXPECT_EQ(read_capture(first).size(), 5u);
  std::FILE* f1 = std::fopen(first.c_str(), "rb");
  std::FILE* f2 = std::fopen(second.c_str(), "rb");
  ASSERT_TRUE(f1 && f2);
  std::vector<char> b1(size), b2(size);
  EXPECT_EQ(std::fread(b1.data(), 1, size, f1), size);
  EXPECT_EQ(std::fread(b2.data(), 1, size, f2), size);
  std::fclose(f1);
  std::fclose(f2);
  EXPECT_EQ(b1, b2);
  std::filesystem::remove(first);
  std::filesystem::remove(second);
}

TEST(PcapWriter, RecordsOnlyTheFramesTheDeviceAccepted) {
  const std::string path = capture_path("accepted");
  MemoryPipe pipe({.mac = kMacA}, {.mac = kMacB}, 2);  // room for two frames in flight
  {
    auto [writer, error] = PcapWriter::open(pipe.a(), path);
    ASSERT_NE(writer, nullptr) << error;
    std::vector<PacketBuffer*> burst;
    for (std::uint32_t seq = 0; seq < 4; ++seq) {
      const Frame frame = test::tcp_frame(kMacA, kMacB, tcp_flag::ack, seq);
      PacketBuffer* pkt = writer->tx_alloc();
      ASSERT_NE(pkt, nullptr);
      std::copy(frame.begin(), frame.end(), pkt->data);
      pkt->len = static_cast<std::uint32_t>(frame.size());
      burst.push_back(pkt);
    }
    EXPECT_EQ(writer->tx_burst(burst, from_us(10)), 2u);
    writer->release(burst[2]);
    writer->release(burst[3]);
    writer->flush();
    EXPECT_EQ(read_capture(path).size(), 2u);  // flush() made them visible while still open
  }
  const auto records = read_capture(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(test::seq_of(records[0].bytes), 0u);
  EXPECT_EQ(test::seq_of(records[1].bytes), 1u);
  EXPECT_EQ(pipe.a().pool().in_use(), 0u);
  std::filesystem::remove(path);
}

TEST(PcapWriter, OpenFailureSaysWhy) {
  MemoryPort a({.mac = kMacA});
  auto [writer, error] = PcapWriter::open(a, "/nonexistent-dir/capture.pcap");
  EXPECT_EQ(writer, nullptr);
  EXPECT_NE(error.find("/nonexistent-dir/capture.pcap"), std::string::npos) << error;
}

}  // namespace
}  // namespace mtcpp
