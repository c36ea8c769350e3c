# inkan_add_module(NAME name [DEPS ...] [PRIVATE_DEPS ...] [TEST_LABEL unit|hsm|...] [TEST_DEPS ...])
#
# One layer = one folder = one target (inkan_<name>, alias inkan::<name>) = one namespace.
# Sources: every *.cpp in the folder except *_test.cpp. Public headers: include/inkan/<name>/.
# Tests: every *_test.cpp in the folder goes into inkan_<name>_tests, registered with ctest
# under TEST_LABEL (default: unit). TEST_PROPERTIES: further ctest properties of every discovered test
# (e.g. FIXTURES_REQUIRED and ENVIRONMENT for the db tests' PostgreSQL cluster).
function(inkan_add_module)
  cmake_parse_arguments(M "" "NAME;TEST_LABEL" "DEPS;PRIVATE_DEPS;TEST_DEPS;TEST_PROPERTIES" ${ARGN})
  file(GLOB _all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(_src "")
  set(_tests "")
  foreach(f IN LISTS _all)
    if(f MATCHES "_test\\.cpp$")
      list(APPEND _tests ${f})
    else()
      list(APPEND _src ${f})
    endif()
  endforeach()
  if(NOT _src)
    # A layer whose sources are not written yet: headers only, so the tree still configures.
    add_library(inkan_${M_NAME} INTERFACE)
    add_library(inkan::${M_NAME} ALIAS inkan_${M_NAME})
    target_include_directories(inkan_${M_NAME} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include
      ${PROJECT_BINARY_DIR}/generated)
    target_link_libraries(inkan_${M_NAME} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(inkan_${M_NAME} STATIC ${_src})
  add_library(inkan::${M_NAME} ALIAS inkan_${M_NAME})
  target_include_directories(inkan_${M_NAME}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/generated
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(inkan_${M_NAME} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS} inkan_warnings)
  if(INKAN_BUILD_TESTS AND _tests)
    if(NOT M_TEST_LABEL)
      set(M_TEST_LABEL unit)
    endif()
    add_executable(inkan_${M_NAME}_tests ${_tests})
    target_include_directories(inkan_${M_NAME}_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(inkan_${M_NAME}_tests PRIVATE inkan_${M_NAME} ${M_PRIVATE_DEPS} ${M_TEST_DEPS}
      GTest::gtest GTest::gtest_main GTest::gmock inkan_warnings)
    gtest_discover_tests(inkan_${M_NAME}_tests
      NO_PRETTY_VALUES
      PROPERTIES LABELS ${M_TEST_LABEL} ${M_TEST_PROPERTIES}
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
