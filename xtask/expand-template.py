#!/usr/bin/env python3
"""Print a SAM template as SAM's own transform expands it, as JSON, offline.

    .venv/bin/python xtask/expand-template.py [--template template.yaml] [--region us-east-1] \
        [Name=Value ...]

This is what `sam validate` (without --lint) does in samcli/lib/translate/sam_template_validator.py,
minus AWS: the template is read with SAM CLI's own YAML loader, local `CodeUri`s become
`s3://bucket/value` (SamTemplateValidator._replace_local_codeuri, reused as is), and
samtranslator's Translator runs with a boto3 Session that only carries a region (it never calls
AWS) and, instead of IAM's ListPolicies, samtranslator's bundled managed-policy map.
`Name=Value` arguments override template parameters, as `sam deploy --parameter-overrides` does,
and must match the parameter's `AllowedPattern`; parameters not given keep their defaults. The result is CloudFormation: conditions and parameters
that SAM does not resolve itself are left for CloudFormation (and the tests) to evaluate.

Exit status 0 with the expanded template on stdout; 1 with SAM's error messages on stderr.
"""

import argparse
import json
import os
import re
import sys

from boto3.session import Session
from samcli.lib.translate.sam_template_validator import SamTemplateValidator
from samcli.yamlhelper import yaml_parse
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.parser import parser
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.translator import Translator


class BundledManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader (which lists policies through IAM)."""

    def __init__(self, region):
        self._region = region

    def load(self):
        partition = ArnGenerator.get_partition_name(self._region)
        return dict(get_bundled_managed_policy_map(partition) or {})


def parse_overrides(pairs):
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"expand-template: expected Name=Value, got {pair!r}")
        overrides[name] = value
    return overrides


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--template", default=os.path.join(repo, "template.yaml"))
    cli.add_argument("--region", default="us-east-1")
    cli.add_argument("overrides", nargs="*", metavar="Name=Value")
    args = cli.parse_args()
    overrides = parse_overrides(args.overrides)

    with open(args.template, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    unknown = sorted(set(overrides) - set(template.get("Parameters", {})))
    if unknown:
        raise SystemExit(f"expand-template: no such parameter: {', '.join(unknown)}")
    # What CloudFormation checks of a value it is given (a parent stack's included).
    for name, value in overrides.items():
        pattern = template["Parameters"][name].get("AllowedPattern")
        if pattern is not None and re.fullmatch(pattern, value) is None:
            raise SystemExit(f"expand-template: {name}={value!r} does not match {pattern}")

    policies = BundledManagedPolicies(args.region)
    validator = SamTemplateValidator(
        template,
        policies,
        region=args.region,
        parameter_overrides=overrides,
    )
    # The same steps as SamTemplateValidator.get_translated_template_if_valid, which returns YAML
    # text; this keeps the dictionary to print it as JSON.
    validator._replace_local_codeuri()
    validator._replace_local_image()
    translator = Translator(
        managed_policy_map=None,
        sam_parser=parser.Parser(),
        plugins=[],
        boto_session=Session(region_name=args.region),
    )
    try:
        expanded = translator.translate(
            sam_template=validator.sam_template,
            parameter_values=dict(overrides),
            get_managed_policy_map=policies.load,
        )
    except InvalidDocumentException as e:
        print(f"expand-template: {args.template} is not a valid SAM template:", file=sys.stderr)
        for cause in e.causes:
            print(f"  {cause}", file=sys.stderr)
        return 1
    json.dump(expanded, sys.stdout, indent=2, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
