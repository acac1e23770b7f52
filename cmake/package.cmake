# `cpack -G DEB` in the build directory makes tandem_VERSION_ARCH.deb:
# tandemd, tandemctl and tandem-shim (stripped), the systemd units, example
# bootstrap files for every role and the docs. Dependencies come from
# dpkg-shlibdeps.
include(GNUInstallDirs)
install(TARGETS tandemd tandemctl tandem-shim RUNTIME DESTINATION bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/systemd/ DESTINATION lib/systemd/system
  FILES_MATCHING PATTERN "*.service")
# Example bootstrap files, as `tandemd ROLE --example-config` prints them.
set(examples_dir ${PROJECT_BINARY_DIR}/examples)
set(examples)
foreach(role confserv csproxy lca scs msgserver console)
  add_custom_command(OUTPUT ${examples_dir}/${role}.toml
    COMMAND ${CMAKE_COMMAND} -E make_directory ${examples_dir}
    # (a sanitized build's leak check is for the tests, not for printing a file)
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
      $<TARGET_FILE:tandemd> ${role} --example-config > ${examples_dir}/${role}.toml
    DEPENDS tandemd COMMENT "example ${role}.toml")
  list(APPEND examples ${examples_dir}/${role}.toml)
endforeach()
add_custom_target(tandem_examples ALL DEPENDS ${examples})
install(FILES ${examples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/ARCHITECTURE.md
  ${PROJECT_SOURCE_DIR}/docs/SECURITY.md ${PROJECT_SOURCE_DIR}/deploy/systemd/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tandem)
set(CPACK_PACKAGE_VENDOR "Tandem")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Tandem: configuration, process control and messaging for fleets of server applications")
set(CPACK_PACKAGE_INSTALL_DIRECTORY /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Tandem engineers <tandem@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/deb/postinst)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
include(CPack)
