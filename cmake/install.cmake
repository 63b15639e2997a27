# cmake --install: headers, static and shared library, pkg-config file, CMake package config.
# scripts/check-install proves the result works for a CMake consumer and a C99 pkg-config one.
include(CMakePackageConfigHelpers)

# Consumers see mtcpp::mtcpp (the static library) and mtcpp::shared.
set_target_properties(mtcpp_static PROPERTIES EXPORT_NAME mtcpp)
set_target_properties(mtcpp_shared PROPERTIES EXPORT_NAME shared)
foreach(target mtcpp_static mtcpp_shared)
  # The installed headers are C++20 (std::span, operator<=>): consumers must compile as such.
  target_compile_features(${target} INTERFACE cxx_std_20)
  # A sanitizer build's library calls the ASan/UBSan runtimes, which only the final link brings.
  if(MTCPP_SANITIZE)
    target_link_options(${target} INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  endif()
endforeach()

install(DIRECTORY core backends DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mtcpp
        FILES_MATCHING PATTERN "*.h")
# mTCP's headers where mTCP applications look for them: #include <mtcp_api.h>.
install(FILES api/mtcp_api.h api/mtcp_epoll.h api/mtcpp_ext.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mtcpp)
install(TARGETS mtcpp_static mtcpp_shared EXPORT mtcppTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT mtcppTargets NAMESPACE mtcpp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mtcpp)

configure_package_config_file(cmake/mtcppConfig.cmake.in ${PROJECT_BINARY_DIR}/mtcppConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mtcpp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mtcppConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mtcppConfig.cmake ${PROJECT_BINARY_DIR}/mtcppConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mtcpp)

# The .pc file finds its prefix from its own place, so it is right for any `--prefix` given to
# cmake --install, not only the CMAKE_INSTALL_PREFIX known now.
file(RELATIVE_PATH MTCPP_PC_PREFIX_FROM_PCFILEDIR "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" MTCPP_PC_PREFIX_FROM_PCFILEDIR "${MTCPP_PC_PREFIX_FROM_PCFILEDIR}")
# Appended to Libs (with its leading space, so an ordinary build's Libs ends cleanly).
set(MTCPP_PC_LINK_FLAGS "")
if(MTCPP_SANITIZE)
  set(MTCPP_PC_LINK_FLAGS " -fsanitize=address,undefined")
endif()
configure_file(cmake/mtcpp.pc.in ${PROJECT_BINARY_DIR}/mtcpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mtcpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
