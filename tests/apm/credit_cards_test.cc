#include "apm/credit_cards.h"

#include <gtest/gtest.h>

namespace sidecar::apm {
namespace {

TEST(CreditCardsTest, DetectsCardNumbersByLengthAndIssuerPrefix) {  // O9
  EXPECT_TRUE(IsCardNumber("4111 1111 1111 1111", false));
  EXPECT_TRUE(IsCardNumber("4111-1111-1111-1111", false));
  EXPECT_TRUE(IsCardNumber("378282246310005", false));   // Amex, 34-37
  EXPECT_TRUE(IsCardNumber("5555555555554444", false));  // Mastercard, 51-55
  EXPECT_TRUE(IsCardNumber("2221000000000009", false));  // Mastercard, 2221-2720
  EXPECT_TRUE(IsCardNumber("6011111111111117", false));  // Discover
  EXPECT_TRUE(IsCardNumber("3530111333300000", false));  // JCB, 3528-3589
  EXPECT_TRUE(IsCardNumber("30569309025904", false));    // Diners, 300-305
}

TEST(CreditCardsTest, RejectsOtherValues) {                // O9
  EXPECT_FALSE(IsCardNumber("12345", false));              // fewer than 12 digits
  EXPECT_FALSE(IsCardNumber("41111111111", false));        // 11 digits
  EXPECT_FALSE(IsCardNumber("41111111111111111", false));  // 17 digits
  EXPECT_FALSE(IsCardNumber("9111111111111111", false));   // unknown prefix
  EXPECT_FALSE(IsCardNumber("7111111111111111", false));
  EXPECT_FALSE(IsCardNumber("4111 1111 1111 111a", false));
  EXPECT_FALSE(IsCardNumber("", false));
  EXPECT_FALSE(IsCardNumber("            ", false));
}

TEST(CreditCardsTest, LuhnChecksumWhenAsked) {
  EXPECT_TRUE(IsCardNumber("4111111111111111", true));
  EXPECT_FALSE(IsCardNumber("4111111111111112", true));
  EXPECT_TRUE(IsCardNumber("4111111111111112", false));
}

TEST(CreditCardsTest, ExemptKeys) {  // O9
  EXPECT_TRUE(IsCreditCardExemptKey("http.status_code"));
  EXPECT_TRUE(IsCreditCardExemptKey("_dd.x"));
  EXPECT_TRUE(IsCreditCardExemptKey("error.msg"));
  EXPECT_TRUE(IsCreditCardExemptKey("grpc.request"));
  EXPECT_TRUE(IsCreditCardExemptKey("graphql.operation.name"));
  EXPECT_TRUE(IsCreditCardExemptKey("databricks_job_id"));
  EXPECT_TRUE(IsCreditCardExemptKey("sql.query"));
  EXPECT_FALSE(IsCreditCardExemptKey("payment.card"));
  EXPECT_FALSE(IsCreditCardExemptKey("http.url"));
}

}  // namespace
}  // namespace sidecar::apm
