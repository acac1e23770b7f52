# tandem_proto_library(NAME [ROOT DIR] PROTOS...): generates C++ and gRPC
# stubs for the given .proto files (paths relative to ROOT, default
# ${PROJECT_SOURCE_DIR}/api).
function(tandem_proto_library name)
  cmake_parse_arguments(P "" "ROOT" "" ${ARGN})
  if(NOT P_ROOT)
    set(P_ROOT ${PROJECT_SOURCE_DIR}/api)
  endif()
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${P_ROOT})
  set(srcs)
  set(hdrs)
  set(out ${PROJECT_BINARY_DIR}/${rel})
  foreach(proto ${P_UNPARSED_ARGUMENTS})
    get_filename_component(dir ${proto} DIRECTORY)
    get_filename_component(base ${proto} NAME_WE)
    set(gen ${out}/${dir}/${base})
    list(APPEND srcs ${gen}.pb.cc ${gen}.grpc.pb.cc)
    list(APPEND hdrs ${gen}.pb.h ${gen}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}.pb.cc ${gen}.pb.h ${gen}.grpc.pb.cc ${gen}.grpc.pb.h
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
      COMMAND protobuf::protoc
        --proto_path=${P_ROOT}
        --cpp_out=${out} --grpc_out=${out}
        --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
        ${P_ROOT}/${proto}
      DEPENDS ${P_ROOT}/${proto}
      COMMENT "protoc ${proto}")
  endforeach()
  add_library(${name} STATIC ${srcs} ${hdrs})
  target_include_directories(${name} SYSTEM PUBLIC ${out})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
  # Generated code is not ours to warn about.
  target_compile_options(${name} PRIVATE -w)
endfunction()
