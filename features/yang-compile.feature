@yang @compile
Feature: Compiling YANG modules
  Operators and developers load modules the way yanglint does: a module compiles with its imports
  from the search path, and a broken one is rejected with file:line:col.

  Scenario: The served interface and IP modules compile together
    Given the search path "yang"
    When I compile the module file "yang/ietf-ip@2018-02-22.yang"
    Then compilation succeeds
    And the schema has the data node "/ietf-interfaces:interfaces/interface/ietf-ip:ipv4/address/ip"

  @errors
  Scenario Outline: A broken module is rejected at the faulty line
    Given a module file "broken.yang" with:
      """
      module broken {
        namespace "urn:t:broken";
        prefix b;
        <statement>
      }
      """
    When I compile the module file "broken.yang" from the work dir
    Then compilation fails at line <line> with '<message>'

    Examples:
      | statement                                    | line | message                   |
      | leaf x { type no-such-type; }                | 4    | type "no-such-type" not found |
      | leaf x { type uint8 { range "1..300"; } }    | 4    | is not within the base type  |
      | import nowhere { prefix n; }                 | 4    | imported module "nowhere" |
      | leaf x { type string; default 1 }            | 4    | expected ";" or "{"       |
