"""The provider reads the template GetTemplate answers: JSON (a dict from botocore, or text) or YAML text with
CloudFormation's short forms, which it turns into their full forms."""

from __future__ import annotations

import textwrap

import pytest

from cdk_backup_jobs_runtime.cloudformation.stack_state import parsed_template


def test_json_comes_as_a_dict_or_as_text():
    assert parsed_template({"Resources": {}}) == {"Resources": {}}
    assert parsed_template('{"Resources": {"A": {"Type": "T"}}}') == {"Resources": {"A": {"Type": "T"}}}


def test_yaml_short_forms_become_their_full_forms():
    body = textwrap.dedent("""\
        Resources:
          Job:
            Type: Custom::BackupJob
            Properties:
              ServiceToken: !ImportValue BackupJobsProviderServiceToken
              BackupVaultName: !Ref Vault
              IamRoleArn: !GetAtt BackupRole.Arn
              ResourceArn: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders
              RunToken: !If [Fresh, !Select [0, !Split [",", !Ref Tokens]], !Join ["-", [a, b]]]
              WaitTimeoutMinutes: 180
          Done:
            Type: AWS::CloudFormation::WaitCondition
            DependsOn: Job
            Condition: Waits
            CreationPolicy:
              ResourceSignal:
                Timeout: PT190M
        Conditions:
          Waits: !Not [!Equals [!Ref Mode, quick]]
        """)

    template = parsed_template(body)

    properties = template["Resources"]["Job"]["Properties"]
    assert properties["ServiceToken"] == {"Fn::ImportValue": "BackupJobsProviderServiceToken"}
    assert properties["BackupVaultName"] == {"Ref": "Vault"}
    assert properties["IamRoleArn"] == {"Fn::GetAtt": ["BackupRole", "Arn"]}
    assert properties["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"}
    assert properties["RunToken"] == {"Fn::If": ["Fresh", {"Fn::Select": [0, {"Fn::Split": [",", {"Ref": "Tokens"}]}]},
                                                {"Fn::Join": ["-", ["a", "b"]]}]}
    assert properties["WaitTimeoutMinutes"] == 180
    assert template["Resources"]["Done"]["CreationPolicy"] == {"ResourceSignal": {"Timeout": "PT190M"}}
    assert template["Conditions"]["Waits"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Mode"}, "quick"]}]}


@pytest.mark.parametrize("body", ["Resources: [unclosed", "- a list, not a template", "Resources: !Bogus x", 42])
def test_what_is_not_a_template_is_a_value_error(body):
    with pytest.raises(ValueError):
        parsed_template(body)
