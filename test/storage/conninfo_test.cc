// Conninfos as tandemctl shows them: never a password.
#include <gtest/gtest.h>

#include "tandem/storage/pg_admin.h"

namespace tandem::storage::pgadmin {
namespace {

TEST(Conninfo, LabelShowsWhereNotWho) {
  EXPECT_EQ(ConninfoLabel("host=198.51.100.10 port=5432 user=tandem dbname=tandem "
                          "passfile=/etc/tandem/pgpass sslmode=verify-full"),
            "198.51.100.10:5432/tandem");
  EXPECT_EQ(ConninfoLabel("host=db1,db2 port=5432,5433 dbname=tandem password=s3cret"),
            "db1,db2:5432,5433/tandem");
  EXPECT_EQ(ConninfoLabel("postgresql://u:s3cret@db1:6000/cfg"), "db1:6000/cfg");
  EXPECT_EQ(ConninfoLabel("user=alice"), "localhost:5432/alice");  // libpq's defaults
}

TEST(Conninfo, RedactedHasNoPassword) {
  const std::string plain = "host=db1 user=tandem passfile=/etc/tandem/pgpass";
  EXPECT_EQ(RedactedConninfo(plain), plain);
  for (const std::string c :
       {"host=db1 user=tandem password=s3cret", "host=db1 password='s3 cret' user=tandem",
        "postgresql://tandem:s3cret@db1/tandem"}) {
    const std::string r = RedactedConninfo(c);
    EXPECT_EQ(r.find("s3"), std::string::npos) << r;
    EXPECT_NE(r.find("password='***'"), std::string::npos) << r;
    EXPECT_EQ(ConninfoValue(r, "host"), "db1") << r;  // still a conninfo libpq reads
    EXPECT_EQ(ConninfoValue(r, "user"), "tandem") << r;
  }
  EXPECT_EQ(ConninfoValue(RedactedConninfo("password=x dbname='it\\'s'"), "dbname"), "it's");
}

}  // namespace
}  // namespace tandem::storage::pgadmin
