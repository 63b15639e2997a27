# cmake --install: headers, static and shared library, pkg-config file, CMake package config.
include(CMakePackageConfigHelpers)

install(DIRECTORY core backends DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mtcpp
        FILES_MATCHING PATTERN "*.h")
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

configure_file(cmake/mtcpp.pc.in ${PROJECT_BINARY_DIR}/mtcpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mtcpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
