#include "sim/scenario_kit.h"
namespace mtcpp::sim {
void add_handshake_scenarios(std::vector<Scenario>&) {}
void add_reset_scenarios(std::vector<Scenario>&) {}
}  // namespace mtcpp::sim
