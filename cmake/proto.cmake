# tandem_proto_library(NAME PROTOS...): generates C++ and gRPC stubs for the
# given .proto files (paths relative to ${PROJECT_SOURCE_DIR}/api).
function(tandem_proto_library name)
  set(srcs)
  set(hdrs)
  set(out ${PROJECT_BINARY_DIR}/api)
  foreach(proto ${ARGN})
    get_filename_component(dir ${proto} DIRECTORY)
    get_filename_component(base ${proto} NAME_WE)
    set(gen ${out}/${dir}/${base})
    list(APPEND srcs ${gen}.pb.cc ${gen}.grpc.pb.cc)
    list(APPEND hdrs ${gen}.pb.h ${gen}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}.pb.cc ${gen}.pb.h ${gen}.grpc.pb.cc ${gen}.grpc.pb.h
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
      COMMAND protobuf::protoc
        --proto_path=${PROJECT_SOURCE_DIR}/api
        --cpp_out=${out} --grpc_out=${out}
        --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
        ${PROJECT_SOURCE_DIR}/api/${proto}
      DEPENDS ${PROJECT_SOURCE_DIR}/api/${proto}
      COMMENT "protoc ${proto}")
  endforeach()
  add_library(${name} STATIC ${srcs} ${hdrs})
  target_include_directories(${name} SYSTEM PUBLIC ${out})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
  # Generated code is not ours to warn about.
  target_compile_options(${name} PRIVATE -w)
endfunction()
